#pragma once

#include "backend/core/error.h"

#include <expected>

namespace kyc {

// Every service call answers a Result: a value or an Error, never an exception.
template <typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e)
{
    return std::unexpected<Error>(std::move(e));
}

inline std::unexpected<Error> fail(ErrorCode code, QString message)
{
    return std::unexpected<Error>(Error::make(code, std::move(message)));
}

} // namespace kyc
