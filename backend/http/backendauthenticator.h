#pragma once

#include "backend/http/apirouter.h"

namespace kyc {
class Backend;
}

namespace kyc::http {

// Bearer access tokens through AuthService, X-API-Key through ApiKeyService; the operation's
// auth spec says which it takes and, for keys, which scopes.
class BackendAuthenticator final : public Authenticator
{
public:
    explicit BackendAuthenticator(Backend &backend);
    [[nodiscard]] Result<Actor> authenticate(const ApiRequest &request, const AuthSpec &auth, bool optional) override;

private:
    Backend &m_backend;
};

} // namespace kyc::http
