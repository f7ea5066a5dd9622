#pragma once

#include "backend/screening/entity.h"

#include <QJsonObject>

namespace kyc::screening {

// Entities are stored as JSON in list_entities, so a list version can be reloaded and compared.
[[nodiscard]] QJsonObject toJson(const Entity &e);
[[nodiscard]] Entity entityFromJson(const QJsonObject &o);
// SHA-256 of the canonical JSON: equal hashes mean an unchanged entity between list versions.
[[nodiscard]] QString contentHash(const Entity &e);
// sanction, pep or adverse_media, from the entity's topics.
[[nodiscard]] QString category(const Entity &e);

} // namespace kyc::screening
