// The XMPP protocol boshd speaks on one stream (bosh::Stream) as the client
// of the XMPP server, one per backend link: writes stream headers, negotiates STARTTLS
// (C124-19.2-01), restarts the stream on the client's request (XEP-0206 §5), and turns the server's
// bytes into events for the session. Sans-I/O: bytes in, events out.
#pragma once

#include "xmpp/stream_parser.h"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace boshd::xmpp {

inline constexpr std::string_view kClientNs = "jabber:client";
inline constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kCompressFeatureNs = "http://jabber.org/features/compress";
inline constexpr std::string_view kCompressProtocolNs = "http://jabber.org/protocol/compress";
inline constexpr std::string_view kStreamClose = "</stream:stream>";

// True for client payloads that would negotiate TLS or stream compression
// with the server. Those belong to HTTP, not to BOSH (C206-2-06, C206-4-06):
// forwarded, they would switch the server's side of a stream boshd cannot
// follow.
bool is_stream_negotiation(const xml::Fragment& payload);

// Attributes of the stream header boshd writes (C206-3-01, C206-3-02, C124-7.1-03).
struct HeaderParams {
    std::string to;
    std::string lang;    // xml:lang; omitted when empty
    std::string version; // omitted when empty
    std::string from;    // omitted when empty
};

namespace server {
struct Opened { // the server's stream header arrived
    StreamHeader header;
};
struct Features { // stream features for the client, STARTTLS and compression removed
    xml::Fragment features;
};
struct Stanza {
    xml::Fragment stanza;
};
struct Send { // bytes to write to the server now
    std::string bytes;
};
struct BeginTls {};  // the server said <proceed/>: start the TLS handshake now
struct StreamError { // <stream:error/>; the stream is over
    xml::Fragment error;
    std::string condition; // its defined condition (RFC 6120 §4.9.3), for the log
    std::string text;      // its <text/>, if any, for the log
};
struct Ended {}; // </stream:stream>
struct Failed {  // protocol failure; the connection is useless
    std::string reason;
};
} // namespace server

using ServerEvent =
    std::variant<server::Opened, server::Features, server::Stanza, server::Send, server::BeginTls,
                 server::StreamError, server::Ended, server::Failed>;

class StreamProtocol {
public:
    // |starttls|: negotiate STARTTLS before anything else, and fail if the
    // server does not offer it (a route with tls = "starttls").
    StreamProtocol(bool starttls, std::size_t max_element_size);

    // The first stream header, once the connection is up.
    std::string open(HeaderParams params);

    void receive(std::string_view bytes, std::vector<ServerEvent>& out);

    // A stream restart (XEP-0206 §5, C206-5-04, C206-5-05): the old stream is
    // considered closed without a closing tag, and a new header goes out on
    // the same connection. Empty fields of |params| keep their old values.
    std::string restart(const HeaderParams& params);

    // The TLS handshake after <proceed/> completed: a fresh stream over TLS.
    std::string tls_established();

    // True once the server's features have been passed on (stream usable).
    bool ready() const { return state_ == State::Open; }
    bool tls_pending() const {
        return state_ == State::AwaitingProceed || state_ == State::Handshaking;
    }

private:
    enum class State {
        Idle,
        AwaitingHeader,
        AwaitingFeatures,
        AwaitingProceed,
        Handshaking,
        Open,
        Closed
    };

    std::string header() const;
    void on_element(xml::Fragment element, std::vector<ServerEvent>& out);
    void on_features(xml::Fragment features, std::vector<ServerEvent>& out);

    bool starttls_;
    bool tls_done_ = false;
    State state_ = State::Idle;
    HeaderParams params_;
    StreamParser parser_;
    std::vector<StreamEvent> parsed_; // reused between receive() calls
};

} // namespace boshd::xmpp
