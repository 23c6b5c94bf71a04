#include "xml/body_parser.h"

#include <climits>
#include <string>

namespace boshd::xml {

namespace {

bool is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct BodyParse {
    XML_Parser parser = nullptr;
    std::string_view input;
    BodyLimits limits;
    FragmentScanner scanner{false, {}};
    Body body;
    std::size_t depth = 0;
    std::size_t elements = 0;
    std::string error; // set when a handler stops the parser

    void stop(std::string reason) {
        if (error.empty()) {
            error = std::move(reason);
        }
        XML_StopParser(parser, XML_FALSE);
    }

    std::uint64_t offset() const {
        return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(parser));
    }
    std::uint64_t event_end() const {
        return offset() + static_cast<std::uint64_t>(XML_GetCurrentByteCount(parser));
    }
};

BodyParse& state(void* user) {
    return *static_cast<BodyParse*>(user);
}

void XMLCALL on_start(void* user, const XML_Char* name, const XML_Char** attrs) {
    auto& s = state(user);
    if (!s.error.empty()) {
        return;
    }
    const QName q = split_qname(name);
    if (++s.elements > s.limits.max_elements) {
        return s.stop("too many elements");
    }
    if (s.depth == 0) {
        if (q.local != "body") {
            return s.stop("root element is not <body/>");
        }
        if (q.ns != kHttpBindNs) {
            return s.stop("<body/> is not in the httpbind namespace");
        }
        for (const XML_Char** a = attrs; *a; a += 2) {
            const QName an = split_qname(a[0]);
            s.body.attributes.push_back({std::string(an.ns), std::string(an.local), a[1]});
        }
        s.scanner.on_wrapper_start();
    } else {
        // Payloads may be in any namespace, several in one body (C124-6-08).
        if (s.depth + 1 > s.limits.max_depth) {
            return s.stop("elements nested too deeply");
        }
        s.scanner.on_start(s.depth, q, attrs, s.offset());
    }
    ++s.depth;
}

void XMLCALL on_end(void* user, const XML_Char*) {
    auto& s = state(user);
    if (!s.error.empty()) {
        return;
    }
    --s.depth;
    if (s.depth == 0) {
        return; // </body>
    }
    const auto end = s.event_end();
    s.scanner.on_end(s.depth, end);
    if (s.depth == 1) {
        const auto begin = s.scanner.fragment_begin();
        s.body.payloads.push_back(s.scanner.take_fragment(s.input.substr(begin, end - begin)));
    }
}

void XMLCALL on_text(void* user, const XML_Char* text, int len) {
    auto& s = state(user);
    // <body/> holds elements only, no character data of its own (C124-6-07).
    if (s.depth == 1) {
        for (int i = 0; i < len; ++i) {
            if (!is_xml_space(text[i])) {
                return s.stop("character data directly inside <body/>");
            }
        }
    }
}

void XMLCALL on_ns_decl(void* user, const XML_Char* prefix, const XML_Char* uri) {
    state(user).scanner.on_namespace_decl(prefix, uri);
}

void XMLCALL on_doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    state(user).stop("DOCTYPE is not allowed"); // C124-6-05: no DTDs, no entities to expand
}

void XMLCALL on_comment(void* user, const XML_Char*) {
    state(user).stop("comments are not allowed"); // C124-6-06
}

void XMLCALL on_pi(void* user, const XML_Char*, const XML_Char*) {
    state(user).stop("processing instructions are not allowed"); // C124-6-06
}

} // namespace

std::optional<std::string_view> Body::attribute(std::string_view ns, std::string_view local) const {
    for (const auto& a : attributes) {
        if (a.local == local && a.ns == ns) {
            return std::string_view(a.value);
        }
    }
    return std::nullopt;
}

util::Result<Body, std::string> parse_body(std::string_view bytes, const BodyLimits& limits) {
    auto parser = make_expat_parser();
    BodyParse s;
    s.parser = parser.get();
    s.input = bytes;
    s.limits = limits;
    XML_SetUserData(parser.get(), &s);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    XML_SetStartNamespaceDeclHandler(parser.get(), on_ns_decl);
    XML_SetStartDoctypeDeclHandler(parser.get(), on_doctype);
    XML_SetCommentHandler(parser.get(), on_comment);
    XML_SetProcessingInstructionHandler(parser.get(), on_pi);

    if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
        return util::fail(std::string("body too large"));
    }
    const auto status =
        XML_Parse(parser.get(), bytes.data(), static_cast<int>(bytes.size()), XML_TRUE);
    if (!s.error.empty()) {
        return util::fail(std::move(s.error));
    }
    if (status != XML_STATUS_OK) {
        std::string reason = "malformed XML: ";
        reason += XML_ErrorString(XML_GetErrorCode(parser.get()));
        reason += " at byte ";
        reason += std::to_string(XML_GetCurrentByteIndex(parser.get()));
        return util::fail(std::move(reason));
    }
    return std::move(s.body);
}

} // namespace boshd::xml
