namespace ActiveGate.Coap.Stack;

/// <summary>Monotonic counters of a <see cref="CoapEndpoint"/>, safe to read from any thread.</summary>
public sealed class CoapEndpointCounters
{
    internal long _datagramsReceived;
    internal long _datagramsSent;
    internal long _malformedRejected;
    internal long _malformedDropped;
    internal long _duplicatesReceived;
    internal long _retransmissions;
    internal long _transmissionTimeouts;
    internal long _resetsReceived;
    internal long _badOptionRejected;
    internal long _unmatchedMessages;
    internal long _deduplicationEvictions;
    internal long _truncatedDatagrams;
    internal long _requestsReceived;
    internal long _responsesReceived;
    internal long _requestsIgnored;

    /// <summary>Datagrams handed up by the transport.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _datagramsReceived);

    /// <summary>Datagrams handed to the transport (retransmissions included).</summary>
    public long DatagramsSent => Interlocked.Read(ref _datagramsSent);

    /// <summary>Malformed CON messages answered with RST.</summary>
    public long MalformedRejected => Interlocked.Read(ref _malformedRejected);

    /// <summary>Malformed messages silently dropped (NON, ACK, RST or unreadable header).</summary>
    public long MalformedDropped => Interlocked.Read(ref _malformedDropped);

    /// <summary>Duplicate CON/NON messages detected by (peer, message ID).</summary>
    public long DuplicatesReceived => Interlocked.Read(ref _duplicatesReceived);

    /// <summary>CON retransmissions sent.</summary>
    public long Retransmissions => Interlocked.Read(ref _retransmissions);

    /// <summary>CON messages that were never acknowledged after MAX_RETRANSMIT.</summary>
    public long TransmissionTimeouts => Interlocked.Read(ref _transmissionTimeouts);

    /// <summary>RST messages received for our messages.</summary>
    public long ResetsReceived => Interlocked.Read(ref _resetsReceived);

    /// <summary>Requests refused with 4.02 because of an unrecognised critical option.</summary>
    public long BadOptionRejected => Interlocked.Read(ref _badOptionRejected);

    /// <summary>Responses or ACKs that matched no exchange.</summary>
    public long UnmatchedMessages => Interlocked.Read(ref _unmatchedMessages);

    /// <summary>Deduplication entries evicted before their lifetime because the cache was full.</summary>
    public long DeduplicationEvictions => Interlocked.Read(ref _deduplicationEvictions);

    /// <summary>Datagrams larger than the receive buffer.</summary>
    public long TruncatedDatagrams => Interlocked.Read(ref _truncatedDatagrams);

    /// <summary>New (non-duplicate) requests received.</summary>
    public long RequestsReceived => Interlocked.Read(ref _requestsReceived);

    /// <summary>Responses received (piggybacked and separate).</summary>
    public long ResponsesReceived => Interlocked.Read(ref _responsesReceived);

    /// <summary>Requests dropped unanswered because <see cref="CoapEndpoint.AcceptRequestsFrom"/> refused their peer.</summary>
    public long RequestsIgnored => Interlocked.Read(ref _requestsIgnored);
}
