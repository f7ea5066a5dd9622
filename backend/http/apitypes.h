#pragma once

#include "backend/core/actor.h"
#include "backend/core/error.h"
#include "backend/core/paging.h"
#include "backend/core/result.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QUrlQuery>

#include <functional>

namespace kyc::http {

enum class Method { Get, Post, Put, Patch, Delete };
[[nodiscard]] QByteArray methodName(Method m);

struct ApiRequest {
    Method method = Method::Get;
    QString path; // decoded path below /api/v1
    QHash<QString, QString> params; // path parameters, decoded
    QUrlQuery query;
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-case
    QByteArray body;
    QJsonObject json; // parsed body for JSON routes
    QString ip; // normalised peer address
    QString requestId;
    Actor actor; // who called, as established by the router's authenticator
    bool authenticated = false;

    [[nodiscard]] QByteArray header(QByteArrayView lowerName) const;
    [[nodiscard]] QString queryValue(const QString &name) const;
};

struct ApiResponse {
    int status = 200;
    QByteArray body;
    QByteArray contentType = "application/json";
    QList<std::pair<QByteArray, QByteArray>> headers;

    [[nodiscard]] static ApiResponse json(const QJsonObject &o, int status = 200);
    [[nodiscard]] static ApiResponse json(const QJsonArray &a, int status = 200);
    [[nodiscard]] static ApiResponse noContent();
    [[nodiscard]] static ApiResponse error(const Error &e);
    [[nodiscard]] static ApiResponse error(ErrorCode code, const QString &message);
    // The contract's list envelope: {"data": [...], "meta": {"page", "limit", "total"}}.
    [[nodiscard]] static ApiResponse page(const QJsonArray &data, const PageRequest &p, qint64 total);
    ApiResponse &withHeader(QByteArray name, QByteArray value);
};

// Maps a service error to its HTTP status and the contract's body (errormapping.cpp).
[[nodiscard]] int httpStatus(ErrorCode code);
[[nodiscard]] QByteArray reasonPhrase(int status);
[[nodiscard]] QJsonObject errorBody(const Error &e);

// Reads ?page=&limit= by the contract's rules (limit ≤ 100).
[[nodiscard]] Result<PageRequest> pageFrom(const ApiRequest &r);

using Handler = std::function<ApiResponse(const ApiRequest &)>;

} // namespace kyc::http
