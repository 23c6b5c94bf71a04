// The reply side of one session (XEP-0124 §8, §9, §16.4): which held request
// carries what, and how its <body/> reads. It owns what waits for the client
// (the ClientQueue) and the acknowledgement state (AckTracker); the held
// requests stay with the RequestWindow, which it is handed per call.
#pragma once

#include "bosh/body_builder.h"
#include "bosh/context.h"
#include "bosh/reply.h"
#include "bosh/session/acks.h"
#include "bosh/session/client_queue.h"
#include "bosh/session/params.h"
#include "bosh/session/request_window.h"
#include "bosh/session/stream_set.h"

#include <optional>
#include <vector>

namespace boshd::bosh {

// How a reply differs from the ordinary one.
struct ReplyNote {
    Report report; // a due report (C124-9.2-02); rid zero: none
    // Pause replies are not replayed (C124-14.3-08).
    bool cache = true;
    // The stream a reply without payloads names: an add-stream reply
    // (C124-16.3-02); nullptr: none.
    Stream* stream = nullptr;
};

class ReplyPath {
public:
    // The session's parts a reply is made from, for one call.
    struct Scope {
        const SessionParams& params;
        RequestWindow& window;
        StreamSet& streams;
        Context& ctx;
    };

    explicit ReplyPath(bool client_acks) : acks_(client_acks) {}

    ClientQueue& queue() { return queue_; }
    AckTracker& acks() { return acks_; }
    // The last reply carried payloads (a polling client may poll again at
    // once, C124-12-03).
    bool last_had_payloads() const { return last_had_payloads_; }

    // Answers what must be answered now: waiting stream ends and queued
    // payloads on the oldest held requests, then any request over `hold`.
    void release(const Scope& s);
    // Answers the oldest held request, with the queued payloads of one
    // stream when |with_payloads|.
    void answer_front(const Scope& s, bool with_payloads, const ReplyNote& note = {});
    // Answers the oldest held request with the oldest stream end.
    void answer_end(const Scope& s, const ReplyNote& note = {});
    // Answers the newest held request now, never before an older one
    // (C124-8-07): with |end| (a terminate scoped to one stream), or else an
    // empty body naming |note|'s stream.
    void answer_newest(const Scope& s, std::optional<StreamEnd> end, ReplyNote note);
    // Answers every open request: the oldest with |first|, the others with |rest|.
    void answer_all(const Scope& s, ReplyPtr first, const ReplyPtr& rest);
    // A terminal body with |c|, carrying the queued payloads (and |trailer|)
    // when |with_payloads| and one stream is open.
    ReplyPtr terminal(const Scope& s, Condition c, bool with_payloads,
                      const xml::Fragment* trailer = nullptr);

private:
    Stream* take_payloads(StreamSet& streams, std::vector<xml::Fragment>& out);
    void add_ack(BodyBuilder& b, std::uint64_t rid, const ReplyNote& note, const Scope& s);
    void send(const Scope& s, RequestWindow::Held h, ReplyPtr reply, bool cache);

    ClientQueue queue_;
    AckTracker acks_;
    bool last_had_payloads_ = false;
};

} // namespace boshd::bosh
