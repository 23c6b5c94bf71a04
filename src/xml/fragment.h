// Children of a wrapper element (<body/> from the client, <stream:stream> from
// the server) carried as bytes. A child cut out of its wrapper loses the
// namespace declarations it inherited; FragmentScanner records which ones it
// relies on while expat parses, and copies them onto the child's start tag,
// so that every fragment is namespace-complete on its own (C124-6-03).
#pragma once

#include "xml/expat.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::xml {

inline constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";

struct NsDecl {
    std::string prefix; // empty: the default namespace
    std::string uri;
};

// A child of a fragment's root, located inside Fragment::bytes.
struct ChildElement {
    std::string ns;
    std::string local;
    std::size_t begin = 0;
    std::size_t end = 0;
};

struct Fragment {
    std::string bytes; // the element as sent, plus the declarations it inherited
    std::string ns;    // namespace and local name of its root element
    std::string local;
    std::vector<ChildElement> children; // only for roots in the scanner's children_ns
    // The element uses the prefix `stream` bound to the streams namespace and
    // expects the wrapper it is put into to declare it (XEP-0206 requires the
    // declaration on <body/> itself: C206-2-02).
    bool needs_stream_prefix = false;

    bool is(std::string_view want_ns, std::string_view want_local) const {
        return ns == want_ns && local == want_local;
    }
};

// The bytes of |fragments| together.
inline std::size_t total_bytes(const std::vector<Fragment>& fragments) {
    std::size_t n = 0;
    for (const auto& f : fragments) {
        n += f.bytes.size();
    }
    return n;
}

class FragmentScanner {
public:
    // |inherit_default_ns|: copy the wrapper's default namespace onto children
    // that do not declare one (server to client: stanzas are jabber:client, not
    // httpbind: C206-2-04). Client to server it is off, so that stanzas sent
    // without xmlns land in the stream's jabber:client namespace (N206-01).
    // |children_ns|: record the children of roots in this namespace (stream
    // features, whose entries boshd inspects).
    FragmentScanner(bool inherit_default_ns, std::string_view children_ns)
        : inherit_default_ns_(inherit_default_ns), children_ns_(children_ns) {}

    void reset();

    // expat's StartNamespaceDeclHandler: a declaration on the element that is
    // about to start.
    void on_namespace_decl(const XML_Char* prefix, const XML_Char* uri);

    // The wrapper's start tag: its declarations become the inherited scope.
    void on_wrapper_start();
    const std::vector<NsDecl>& wrapper_decls() const { return wrapper_decls_; }

    // A start tag at |depth| (1 = a child of the wrapper) beginning at the
    // absolute byte offset |begin|.
    void on_start(std::size_t depth, const QName& name, const XML_Char** attrs,
                  std::uint64_t begin);

    // An end tag at |depth|, ending just before the absolute offset |end|.
    void on_end(std::size_t depth, std::uint64_t end);

    // Absolute offset where the child being scanned began (valid at depth >= 1).
    std::uint64_t fragment_begin() const { return begin_; }

    // After on_end at depth 1: builds the fragment from |raw|, the bytes from
    // fragment_begin() up to the end offset passed to on_end.
    Fragment take_fragment(std::string_view raw);

private:
    void note_prefix(std::string_view prefix);

    bool inherit_default_ns_;
    std::string_view children_ns_;
    std::vector<NsDecl> pending_decls_;
    std::vector<NsDecl> wrapper_decls_;

    // The child being scanned.
    std::uint64_t begin_ = 0;
    std::size_t raw_name_length_ = 0;
    std::string ns_, local_;
    std::vector<std::string> own_prefixes_;
    std::vector<std::string> used_prefixes_;
    std::vector<ChildElement> children_;
    bool record_children_ = false;
};

} // namespace boshd::xml
