// HTTP content codings for BOSH entities (XEP-0124 §5 and §7.2): choosing a
// coding for a reply from Accept-Encoding (C124-5-07), naming the coding of a
// request from Content-Encoding (C124-7.2-14), and the zlib codec for both.
// zlib does the compressing: a well-kept library, never hand-written code.
//
// "deflate" is the zlib format (RFC 1950), as HTTP defines it (RFC 9110
// §8.4.1.2), not a raw deflate stream; "gzip" is RFC 1952, with "x-gzip" read
// as gzip (RFC 9110 §8.4.1.3).
#pragma once

#include "util/result.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::net {

enum class Coding { Identity, Gzip, Deflate };

// The token as it goes in Content-Encoding ("identity", "gzip", "deflate").
std::string_view to_string(Coding c);

// The codings boshd decodes in requests, as advertised in the creation
// reply's `accept` attribute (C124-7.2-13).
inline constexpr std::string_view kDecodableCodings = "deflate,gzip";

// The coding for a reply to a request whose Accept-Encoding is |accept|
// (nullopt: the header is absent). RFC 9110 §12.5.3: q-values are honoured
// and q=0 refuses a coding; "*" stands for codings not named; gzip wins a tie
// with deflate. No header, an empty one, or nothing acceptable: Identity
// (C124-5-07 (b): no Accept-Encoding, no Content-Encoding).
Coding choose_reply_coding(std::optional<std::string_view> accept);

// The coding of a request whose Content-Encoding is |value| (nullopt: absent).
// "identity" entries are ignored. nullopt back: a coding boshd cannot decode,
// or more than one coding applied in a row.
std::optional<Coding> parse_content_encoding(std::optional<std::string_view> value);

// |data| encoded with |c| (Identity: a copy). Deterministic: the same input
// always gives the same bytes (the gzip header carries no time stamp), so a
// repeated rid gets an identical entity (C124-14.3-02). nullopt when zlib
// fails (out of memory): send the data uncompressed instead.
std::optional<std::string> compress(std::string_view data, Coding c);

enum class InflateError {
    TooLarge, // the decoded entity would exceed the limit
    Corrupt,  // not a valid stream of the coding: bad header, checksum, truncated, trailing bytes
};
std::string_view to_string(InflateError e);

// Decodes |data| encoded with |c|. The result never holds, nor reserves, more
// than |limit| bytes: a zip bomb fails with TooLarge as soon as its output
// passes |limit|. gzip input may hold several members (RFC 1952 §2.2).
util::Result<std::vector<char>, InflateError> decompress(std::string_view data, Coding c,
                                                         std::size_t limit);

} // namespace boshd::net
