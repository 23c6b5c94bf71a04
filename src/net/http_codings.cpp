// HttpFrontend: HTTP content codings of BOSH entities (XEP-0124 §5, §7.2).
// Replies are compressed when the request's Accept-Encoding allows it
// (C124-5-07); request entities with a Content-Encoding are decoded, within
// http.max_body_size, before the engine sees them (C124-7.2-14). The codec
// itself is net/compression.h.
#include "net/compression.h"
#include "net/http_frontend.h"

#include <event2/http.h>
#include <string>

namespace boshd::net {

namespace {

std::optional<std::string_view> input_header(evhttp_request* req, const char* name) {
    const char* value = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    return value ? std::optional<std::string_view>(value) : std::nullopt;
}

} // namespace

// C124-7.2-14: a request entity with a Content-Encoding we advertised in
// `accept` is decoded before the engine sees it. The decoded size is bound by
// http.max_body_size like any body; |storage| holds it. nullopt: the request
// has been handed over as unusable.
std::optional<std::string_view> HttpFrontend::decode_body(evhttp_request* req,
                                                          std::vector<char>& storage) {
    // Decoding does not depend on http.compress_min_size: a compressed
    // request leaks nothing to a third party, a compressed reply may (BREACH).
    const auto coding = parse_content_encoding(input_header(req, "Content-Encoding"));
    if (!coding) {
        // A content coding we do not decode: the engine answers 415 (RFC 9110
        // §15.5.16), and RFC 7694 §3 wants the ones we do named with it.
        evhttp_add_header(evhttp_request_get_output_headers(req), "Accept-Encoding",
                          "gzip, deflate");
        hand_over_unusable(req, bosh::UnusableReason::UnsupportedCoding, body_.size());
        return std::nullopt;
    }
    if (*coding == Coding::Identity) {
        return std::string_view(body_);
    }
    auto decoded = decompress(body_, *coding, config_.max_body_size);
    if (decoded) {
        storage = std::move(decoded.value());
        return std::string_view(storage.data(), storage.size());
    }
    if (decoded.error() == InflateError::TooLarge) {
        // A zip bomb: refused like an oversized body, after inflating no more
        // than http.max_body_size (and one zlib chunk) of it.
        hand_over_unusable(req, bosh::UnusableReason::DecodedTooLarge, body_.size());
        return std::nullopt;
    }
    // Undecodable bytes: the engine answers as to an unparseable body.
    hand_over_unusable(req, bosh::UnusableReason::CorruptCoding, body_.size(), to_string(*coding));
    return std::nullopt;
}

// C124-5-07: a large enough reply goes out in the coding the request's
// Accept-Encoding prefers, labelled with Content-Encoding; a coding that would
// not make it smaller is skipped. The engine caches the plain Reply and
// compress() is deterministic, so a repeated rid with the same Accept-Encoding
// gets the same bytes (C124-14.3-02). |storage| holds compressed bytes.
std::string_view HttpFrontend::encode_reply(evhttp_request* req, const std::string& body,
                                            std::string& storage) const {
    if (config_.compress_min_size == 0 || body.size() < config_.compress_min_size) {
        return body;
    }
    const Coding coding = choose_reply_coding(input_header(req, "Accept-Encoding"));
    if (coding == Coding::Identity) {
        return body;
    }
    auto packed = compress(body, coding);
    if (!packed || packed->size() >= body.size()) {
        return body; // identity when zlib fails, or when it does not help
    }
    storage = std::move(*packed);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Encoding",
                      std::string(to_string(coding)).c_str());
    return storage;
}

} // namespace boshd::net
