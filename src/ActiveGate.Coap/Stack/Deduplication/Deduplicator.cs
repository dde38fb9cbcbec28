using System.Net;

namespace ActiveGate.Coap.Stack.Deduplication;

/// <summary>
/// Remembers (peer, message ID) of received CON and NON messages for EXCHANGE_LIFETIME /
/// NON_LIFETIME (RFC 7252 §4.5) together with the reply that was sent, so a duplicate is answered
/// with the same bytes instead of being processed again. Bounded: when full, the oldest entry is
/// evicted (and counted).
/// </summary>
internal sealed class Deduplicator
{
    private readonly Dictionary<(EndPoint Remote, ushort MessageId), Entry> _entries = [];
    private readonly Queue<(EndPoint Remote, ushort MessageId, Entry Entry)> _byAge = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly CoapEndpointCounters _counters;
    private readonly object _lock = new();

    public Deduplicator(TimeProvider time, int capacity, CoapEndpointCounters counters)
    {
        _time = time;
        _capacity = Math.Max(1, capacity);
        _counters = counters;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Registers a newly received message. Returns false when it is a duplicate; then
    /// <paramref name="cachedReply"/> is the reply sent for the original (null while still being processed).
    /// </summary>
    public bool TryRegister(EndPoint remote, ushort messageId, TimeSpan lifetime, out byte[]? cachedReply)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            Purge(now);
            if (_entries.TryGetValue((remote, messageId), out Entry? existing))
            {
                cachedReply = existing.Reply;
                return false;
            }

            if (_entries.Count >= _capacity)
            {
                EvictOldest();
            }

            var entry = new Entry(now + (long)(lifetime.TotalSeconds * _time.TimestampFrequency));
            _entries[(remote, messageId)] = entry;
            _byAge.Enqueue((remote, messageId, entry));
            cachedReply = null;
            return true;
        }
    }

    /// <summary>Stores the reply (piggybacked response, empty ACK, ...) to re-send for duplicates.</summary>
    public void SetReply(EndPoint remote, ushort messageId, byte[] reply)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue((remote, messageId), out Entry? entry))
            {
                entry.Reply = reply;
            }
        }
    }

    private void Purge(long now)
    {
        while (_byAge.TryPeek(out var oldest) && oldest.Entry.ExpiresAt <= now)
        {
            _byAge.Dequeue();
            Remove(oldest.Remote, oldest.MessageId, oldest.Entry);
        }
    }

    private void EvictOldest()
    {
        while (_byAge.TryDequeue(out var oldest))
        {
            if (Remove(oldest.Remote, oldest.MessageId, oldest.Entry))
            {
                Interlocked.Increment(ref _counters._deduplicationEvictions);
                return;
            }
        }
    }

    private bool Remove(EndPoint remote, ushort messageId, Entry entry)
    {
        // Only remove when the dictionary still maps the key to this very entry.
        if (_entries.TryGetValue((remote, messageId), out Entry? current) && ReferenceEquals(current, entry))
        {
            _entries.Remove((remote, messageId));
            return true;
        }

        return false;
    }

    private sealed class Entry(long expiresAt)
    {
        public long ExpiresAt { get; } = expiresAt;

        public byte[]? Reply { get; set; }
    }
}
