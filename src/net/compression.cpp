#include "net/compression.h"

#include "util/ascii.h"

#include <algorithm>
#include <array>
#include <new>
#include <zlib.h>

namespace boshd::net {

namespace {

// zlib's window bits: 15 is the largest window (32 KiB) and the zlib format;
// adding 16 selects the gzip wrapper instead (zlib.h, deflateInit2).
constexpr int kWindowBits = 15;
constexpr int kGzipWrapper = 16;
constexpr int kMemLevel = 8; // zlib's default
// Output is inflated through a buffer of this size, so that the result can be
// checked against the limit before it grows.
constexpr std::size_t kInflateChunk = 16 * 1024;
// q-values are compared in thousandths (RFC 9110 §12.4.2: at most 3 decimals).
constexpr int kQOne = 1000;

int window_bits(Coding c) {
    return c == Coding::Gzip ? kWindowBits + kGzipWrapper : kWindowBits;
}

// One z_stream set up for compressing or for decompressing, ended with it.
class ZStream {
public:
    enum class Mode { Deflate, Inflate };

    ZStream(Mode mode, Coding c) : mode_(mode) {
        const int rc = mode == Mode::Deflate
                           ? deflateInit2(&s_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits(c),
                                          kMemLevel, Z_DEFAULT_STRATEGY)
                           : inflateInit2(&s_, window_bits(c));
        if (rc != Z_OK) {
            // Only Z_MEM_ERROR can happen with these constant arguments.
            throw std::bad_alloc();
        }
    }
    ~ZStream() {
        if (mode_ == Mode::Deflate) {
            deflateEnd(&s_);
        } else {
            inflateEnd(&s_);
        }
    }
    ZStream(const ZStream&) = delete;
    ZStream& operator=(const ZStream&) = delete;

    z_stream* get() { return &s_; }

private:
    Mode mode_;
    z_stream s_{}; // zalloc, zfree, opaque = Z_NULL: zlib's own allocator
};

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Splits |list| at commas, trimming each element and dropping empty ones
// (RFC 9110 §5.6.1 list syntax). Calls |fn| on each.
template <class Fn> void for_each_element(std::string_view list, Fn fn) {
    while (true) {
        const auto comma = list.find(',');
        const auto item = trim(list.substr(0, comma));
        if (!item.empty()) {
            fn(item);
        }
        if (comma == std::string_view::npos) {
            return;
        }
        list.remove_prefix(comma + 1);
    }
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
// thousandths; nullopt when malformed (RFC 9110 §12.4.2).
std::optional<int> parse_qvalue(std::string_view v) {
    if (v.empty() || (v[0] != '0' && v[0] != '1')) {
        return std::nullopt;
    }
    int q = (v[0] - '0') * kQOne;
    if (v.size() == 1) {
        return q;
    }
    if (v[1] != '.' || v.size() > 5) {
        return std::nullopt;
    }
    int scale = kQOne / 10;
    for (const char ch : v.substr(2)) {
        if (ch < '0' || ch > '9') {
            return std::nullopt;
        }
        q += (ch - '0') * scale;
        scale /= 10;
    }
    return q > kQOne ? std::nullopt : std::optional<int>(q);
}

// The weight of one Accept-Encoding element's parameters; nullopt when a q
// parameter is malformed (the element is then ignored).
std::optional<int> weight_of(std::string_view params) {
    int q = kQOne;
    for (auto rest = params; !rest.empty();) {
        const auto semi = rest.find(';');
        const auto param = trim(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        if (param.size() >= 2 && util::ascii::lower(param[0]) == 'q' && param[1] == '=') {
            const auto parsed = parse_qvalue(trim(param.substr(2)));
            if (!parsed) {
                return std::nullopt;
            }
            q = *parsed;
        }
    }
    return q;
}

// The name of one coding token, lower-case, with x-gzip read as gzip.
std::string coding_name(std::string_view token) {
    auto name = util::ascii::to_lower(trim(token));
    return name == "x-gzip" ? "gzip" : name;
}

// Appends |n| bytes to |out| without ever reserving past |limit|: grows by
// doubling, capped at the limit (std::vector::reserve allocates exactly).
void append_bounded(std::vector<char>& out, const unsigned char* bytes, std::size_t n,
                    std::size_t limit) {
    const std::size_t need = out.size() + n;
    if (need > out.capacity()) {
        out.reserve(std::min(limit, std::max(need, 2 * out.capacity())));
    }
    out.insert(out.end(), bytes, bytes + n);
}

} // namespace

std::string_view to_string(Coding c) {
    switch (c) {
    case Coding::Gzip:
        return "gzip";
    case Coding::Deflate:
        return "deflate";
    case Coding::Identity:
        break;
    }
    return "identity";
}

std::string_view to_string(InflateError e) {
    return e == InflateError::TooLarge ? "too large" : "corrupt";
}

Coding choose_reply_coding(std::optional<std::string_view> accept) {
    if (!accept) {
        return Coding::Identity;
    }
    std::optional<int> gzip, deflate, any;
    for_each_element(*accept, [&](std::string_view element) {
        const auto semi = element.find(';');
        const auto weight = weight_of(semi == std::string_view::npos ? std::string_view{}
                                                                     : element.substr(semi + 1));
        if (!weight) {
            return;
        }
        const auto name = coding_name(element.substr(0, semi));
        if (name == "gzip") {
            gzip = weight;
        } else if (name == "deflate") {
            deflate = weight;
        } else if (name == "*") {
            any = weight;
        }
    });
    // "*" only speaks for the codings the header does not name.
    const int q_gzip = gzip.value_or(any.value_or(0));
    const int q_deflate = deflate.value_or(any.value_or(0));
    if (q_gzip == 0 && q_deflate == 0) {
        return Coding::Identity;
    }
    return q_gzip >= q_deflate ? Coding::Gzip : Coding::Deflate;
}

std::optional<Coding> parse_content_encoding(std::optional<std::string_view> value) {
    if (!value) {
        return Coding::Identity;
    }
    std::vector<Coding> applied;
    bool unknown = false;
    for_each_element(*value, [&](std::string_view element) {
        const auto name = coding_name(element);
        if (name == "gzip") {
            applied.push_back(Coding::Gzip);
        } else if (name == "deflate") {
            applied.push_back(Coding::Deflate);
        } else if (name != "identity") {
            unknown = true;
        }
    });
    if (unknown || applied.size() > 1) {
        return std::nullopt;
    }
    return applied.empty() ? Coding::Identity : applied.front();
}

std::optional<std::string> compress(std::string_view data, Coding c) try {
    if (c == Coding::Identity) {
        return std::string(data);
    }
    ZStream z(ZStream::Mode::Deflate, c);
    z_stream* s = z.get();
    // deflateBound is enough for a single Z_FINISH call, so one pass suffices.
    // Entities are bounded by session.max_client_queue (at most 1 GiB), which
    // fits zlib's 32-bit counters.
    std::string out(deflateBound(s, static_cast<uLong>(data.size())), '\0');
    s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    s->avail_in = static_cast<uInt>(data.size());
    s->next_out = reinterpret_cast<Bytef*>(out.data());
    s->avail_out = static_cast<uInt>(out.size());
    if (deflate(s, Z_FINISH) != Z_STREAM_END) {
        return std::nullopt; // cannot happen with deflateBound's room
    }
    out.resize(s->total_out);
    return out;
} catch (const std::bad_alloc&) {
    // Runs inside libevent callbacks: no exception may escape. The caller
    // sends the reply uncompressed (C124-5-07 makes compression optional).
    return std::nullopt;
}

util::Result<std::vector<char>, InflateError> decompress(std::string_view data, Coding c,
                                                         std::size_t limit) {
    std::vector<char> out;
    if (c == Coding::Identity) {
        if (data.size() > limit) {
            return util::fail(InflateError::TooLarge);
        }
        out.assign(data.begin(), data.end());
        return out;
    }
    ZStream z(ZStream::Mode::Inflate, c);
    z_stream* s = z.get();
    s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    s->avail_in = static_cast<uInt>(data.size());
    std::array<unsigned char, kInflateChunk> chunk{};
    while (true) {
        s->next_out = chunk.data();
        s->avail_out = static_cast<uInt>(chunk.size());
        const int rc = inflate(s, Z_NO_FLUSH);
        if (rc == Z_MEM_ERROR) {
            throw std::bad_alloc();
        }
        if (rc != Z_OK && rc != Z_STREAM_END) {
            // Z_DATA_ERROR (bad header, data or checksum), Z_NEED_DICT (a
            // preset dictionary nobody agreed on), Z_BUF_ERROR (the input
            // ended before the stream did: truncated).
            return util::fail(InflateError::Corrupt);
        }
        const std::size_t n = chunk.size() - s->avail_out;
        if (n > limit - out.size()) {
            return util::fail(InflateError::TooLarge);
        }
        append_bounded(out, chunk.data(), n, limit);
        if (rc == Z_STREAM_END) {
            if (s->avail_in == 0) {
                return out;
            }
            if (c != Coding::Gzip) {
                return util::fail(InflateError::Corrupt); // bytes after the zlib stream
            }
            inflateReset(s); // the next gzip member
        }
    }
}

} // namespace boshd::net
