// An HTTP reply the engine has decided on: status, Content-Type and the bytes
// of the body. Shared vocabulary of the engine and the front end, which sends
// it as it is (the <body/> inside is built by bosh/body_builder.h).
// Replies are immutable and shared: the same object is sent and kept in the
// response cache, so a repeated rid gets a byte-identical answer, headers
// included (C124-14.3-02).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace boshd::bosh {

inline constexpr std::string_view kDefaultContentType = "text/xml; charset=utf-8";

struct Reply {
    int status = 200;
    std::string content_type;
    std::string body;
};
using ReplyPtr = std::shared_ptr<const Reply>;

inline ReplyPtr make_reply(std::string body, std::string_view content_type, int status = 200) {
    return std::make_shared<const Reply>(Reply{status, std::string(content_type), std::move(body)});
}

} // namespace boshd::bosh
