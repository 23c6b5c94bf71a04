#include "xml/fragment.h"

#include "xml/writer.h"

#include <algorithm>

namespace boshd::xml {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

const NsDecl* find_decl(const std::vector<NsDecl>& decls, std::string_view prefix) {
    for (const auto& d : decls) {
        if (d.prefix == prefix) {
            return &d;
        }
    }
    return nullptr;
}

void append_decl(std::string& out, const NsDecl& d) {
    append_attribute(out, d.prefix.empty() ? "xmlns" : "xmlns:" + d.prefix, d.uri);
}

} // namespace

void FragmentScanner::reset() {
    pending_decls_.clear();
    wrapper_decls_.clear();
    children_.clear();
    own_prefixes_.clear();
    used_prefixes_.clear();
}

void FragmentScanner::on_namespace_decl(const XML_Char* prefix, const XML_Char* uri) {
    pending_decls_.push_back({prefix ? prefix : "", uri ? uri : ""});
}

void FragmentScanner::on_wrapper_start() {
    wrapper_decls_ = std::move(pending_decls_);
    pending_decls_.clear();
}

void FragmentScanner::note_prefix(std::string_view prefix) {
    // `xml` is bound by definition and never declared (XML Namespaces §3).
    if (!prefix.empty() && prefix != "xml" && !contains(used_prefixes_, prefix)) {
        used_prefixes_.emplace_back(prefix);
    }
}

void FragmentScanner::on_start(std::size_t depth, const QName& name, const XML_Char** attrs,
                               std::uint64_t begin) {
    if (depth == 1) {
        begin_ = begin;
        raw_name_length_ = name.raw_length();
        ns_.assign(name.ns);
        local_.assign(name.local);
        own_prefixes_.clear();
        for (const auto& d : pending_decls_) {
            own_prefixes_.push_back(d.prefix);
        }
        used_prefixes_.clear();
        children_.clear();
        record_children_ = !children_ns_.empty() && name.ns == children_ns_;
    } else if (depth == 2 && record_children_) {
        children_.push_back({std::string(name.ns), std::string(name.local),
                             static_cast<std::size_t>(begin - begin_), 0});
    }
    pending_decls_.clear();
    note_prefix(name.prefix);
    for (const XML_Char** a = attrs; a && *a; a += 2) {
        note_prefix(split_qname(*a).prefix);
    }
}

void FragmentScanner::on_end(std::size_t depth, std::uint64_t end) {
    if (depth == 2 && record_children_ && !children_.empty()) {
        children_.back().end = static_cast<std::size_t>(end - begin_);
    }
}

Fragment FragmentScanner::take_fragment(std::string_view raw) {
    std::string decls;
    bool needs_stream_prefix = false;
    if (inherit_default_ns_ && !contains(own_prefixes_, "")) {
        if (const auto* d = find_decl(wrapper_decls_, "")) {
            append_decl(decls, *d);
        }
    }
    for (const auto& prefix : used_prefixes_) {
        if (contains(own_prefixes_, prefix)) {
            continue;
        }
        const auto* d = find_decl(wrapper_decls_, prefix);
        if (!d) {
            continue; // declared further down inside the fragment itself
        }
        if (d->prefix == "stream" && d->uri == kStreamsNs) {
            needs_stream_prefix = true; // carried by the target wrapper
        } else {
            append_decl(decls, *d);
        }
    }

    Fragment f;
    f.ns = std::move(ns_);
    f.local = std::move(local_);
    f.needs_stream_prefix = needs_stream_prefix;
    const std::size_t name_end = 1 + raw_name_length_; // '<' + qname
    f.bytes.reserve(raw.size() + decls.size());
    f.bytes.append(raw.substr(0, name_end));
    f.bytes += decls;
    f.bytes.append(raw.substr(name_end));
    f.children = std::move(children_);
    for (auto& c : f.children) {
        c.begin += decls.size();
        c.end += decls.size();
    }
    children_.clear();
    return f;
}

} // namespace boshd::xml
