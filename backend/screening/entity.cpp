#include "backend/screening/entity.h"

namespace kyc::screening {

QString entityTypeName(EntityType t)
{
    switch (t) {
    case EntityType::Person: return QStringLiteral("person");
    case EntityType::Organization: return QStringLiteral("organization");
    case EntityType::Vessel: return QStringLiteral("vessel");
    case EntityType::Aircraft: return QStringLiteral("aircraft");
    case EntityType::Unknown: break;
    }
    return QStringLiteral("unknown");
}

} // namespace kyc::screening
