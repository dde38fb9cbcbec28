using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack.Reliability;

namespace ActiveGate.Coap.Matching;

/// <summary>Receives responses that match a token (a one-shot request or a long-lived observation).</summary>
internal interface IResponseSink
{
    /// <summary>Handles a response; returns true to stay registered for further responses (observe).</summary>
    bool Deliver(CoapMessage response, EndPoint remote);

    /// <summary>The exchange failed (timeout, RST, disposal).</summary>
    void Fail(Exception error);
}

/// <summary>
/// The two matching tables of an endpoint (Californium's Matcher split): outgoing messages by
/// (peer, message ID), for ACK/RST, and response sinks by (peer, token), for responses and
/// notifications. Both are bounded.
/// </summary>
internal sealed class CoapMatcher
{
    private readonly Dictionary<(EndPoint Remote, ushort MessageId), OutgoingMessage> _byMessageId = [];
    private readonly Queue<OutgoingMessage> _trackedNonConfirmable = new();
    private readonly Dictionary<(EndPoint Remote, CoapToken Token), IResponseSink> _byToken = [];
    private readonly object _lock = new();
    private readonly int _capacity;

    public CoapMatcher(int capacity)
    {
        _capacity = Math.Max(16, capacity);
    }

    public int PendingTokens
    {
        get
        {
            lock (_lock)
            {
                return _byToken.Count;
            }
        }
    }

    public int TrackedMessages
    {
        get
        {
            lock (_lock)
            {
                return _byMessageId.Count;
            }
        }
    }

    /// <summary>Registers a sink; false when the (peer, token) pair is taken or the table is full.</summary>
    public bool TryAddSink(EndPoint remote, CoapToken token, IResponseSink sink)
    {
        lock (_lock)
        {
            return _byToken.Count < _capacity && _byToken.TryAdd((remote, token), sink);
        }
    }

    public bool ContainsToken(EndPoint remote, CoapToken token)
    {
        lock (_lock)
        {
            return _byToken.ContainsKey((remote, token));
        }
    }

    public bool TryGetSink(EndPoint remote, CoapToken token, out IResponseSink? sink)
    {
        lock (_lock)
        {
            return _byToken.TryGetValue((remote, token), out sink);
        }
    }

    /// <summary>Removes the sink when it is still the one registered for the pair.</summary>
    public void RemoveSink(EndPoint remote, CoapToken token, IResponseSink sink)
    {
        lock (_lock)
        {
            if (_byToken.TryGetValue((remote, token), out IResponseSink? current) && ReferenceEquals(current, sink))
            {
                _byToken.Remove((remote, token));
            }
        }
    }

    /// <summary>Tracks an outgoing message by (peer, MID). NON entries are evicted oldest-first when full.</summary>
    public bool TryTrack(OutgoingMessage message, long now)
    {
        lock (_lock)
        {
            while (_trackedNonConfirmable.TryPeek(out OutgoingMessage? oldest) &&
                   (oldest.ExpiresAt <= now || _byMessageId.Count >= _capacity))
            {
                _trackedNonConfirmable.Dequeue();
                Untrack(oldest);
            }

            if (_byMessageId.Count >= _capacity || !_byMessageId.TryAdd((message.Remote, message.MessageId), message))
            {
                return false;
            }

            if (!message.Confirmable)
            {
                _trackedNonConfirmable.Enqueue(message);
            }

            return true;
        }
    }

    public bool TryRemoveTracked(EndPoint remote, ushort messageId, out OutgoingMessage? message)
    {
        lock (_lock)
        {
            return _byMessageId.Remove((remote, messageId), out message);
        }
    }

    public void Untrack(OutgoingMessage message)
    {
        lock (_lock)
        {
            if (_byMessageId.TryGetValue((message.Remote, message.MessageId), out OutgoingMessage? current) &&
                ReferenceEquals(current, message))
            {
                _byMessageId.Remove((message.Remote, message.MessageId));
            }
        }
    }

    /// <summary>Removes everything (disposal); returns what was pending so it can be failed.</summary>
    public (List<OutgoingMessage> Messages, List<IResponseSink> Sinks) Clear()
    {
        lock (_lock)
        {
            var messages = _byMessageId.Values.ToList();
            var sinks = _byToken.Values.ToList();
            _byMessageId.Clear();
            _byToken.Clear();
            _trackedNonConfirmable.Clear();
            return (messages, sinks);
        }
    }
}
