// Reading replies in tests: parse a <body/> with pugixml and look at its
// attributes and children. Replies are produced by our own writer, so the
// prefixes used are known (xmpp:, stream:); namespace checks that matter go
// through boshd's own namespace-aware parser (xml::parse_body).
#pragma once

#include <doctest/doctest.h>
#include <pugixml.hpp>
#include <string>
#include <vector>

namespace boshd::test {

class Doc {
public:
    explicit Doc(const std::string& xml) {
        const auto r = doc_.load_buffer(xml.data(), xml.size(),
                                        pugi::parse_default | pugi::parse_ws_pcdata_single);
        INFO("document: ", xml);
        REQUIRE(r);
        root_ = doc_.document_element();
    }

    std::string name() const { return root_.name(); }
    bool has(const char* attr) const { return !root_.attribute(attr).empty(); }
    std::string attr(const char* attr) const { return root_.attribute(attr).value(); }
    std::vector<std::string> children() const {
        std::vector<std::string> out;
        for (auto c : root_.children()) {
            if (c.type() == pugi::node_element) {
                out.emplace_back(c.name());
            }
        }
        return out;
    }
    pugi::xml_node root() const { return root_; }

private:
    pugi::xml_document doc_;
    pugi::xml_node root_;
};

} // namespace boshd::test
