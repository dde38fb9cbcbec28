using System.Net;

namespace ActiveGate.Coap.Stack.Deduplication;

/// <summary>
/// Remembers (peer, message ID) of received CON and NON messages for EXCHANGE_LIFETIME /
/// NON_LIFETIME (RFC 7252 §4.5) together with the reply that was sent, so a duplicate is answered
/// with the same bytes instead of being processed again. Bounded: when full, the oldest entry is
/// evicted (and counted).
/// </summary>
/// <remarks>
/// A busy server registers one entry per request, and entries outlive the youngest GC generation
/// by design, so they are kept out of the GC's way: a ring of structs in arrival order (oldest at
/// the head) indexed by a dictionary of struct keys, with short replies (empty ACKs, most
/// piggybacked responses) copied into one byte array beside the ring instead of kept as arrays.
/// </remarks>
internal sealed class Deduplicator
{
    private const int InitialSlots = 64;
    private const int InlineReplySize = 64;
    private readonly Dictionary<Key, int> _index = [];
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly CoapEndpointCounters _counters;
    private readonly Lock _lock = new();
    private Slot[] _slots = new Slot[InitialSlots];
    private byte[] _inlineReplies = new byte[InitialSlots * InlineReplySize];
    private int _head;
    private int _count;

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
                return _index.Count;
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
        var key = new Key(remote, messageId);
        lock (_lock)
        {
            Purge(now);
            if (_index.TryGetValue(key, out int existing))
            {
                cachedReply = GetReply(existing);
                return false;
            }

            if (_count >= _capacity)
            {
                RemoveOldest();
                Interlocked.Increment(ref _counters._deduplicationEvictions);
            }
            else if (_count == _slots.Length)
            {
                Grow();
            }

            int slot = (_head + _count) % _slots.Length;
            _slots[slot] = new Slot(key, now + (long)(lifetime.TotalSeconds * _time.TimestampFrequency));
            _index[key] = slot;
            _count++;
            cachedReply = null;
            return true;
        }
    }

    /// <summary>Stores the reply (piggybacked response, empty ACK, ...) to re-send for duplicates.</summary>
    public void SetReply(EndPoint remote, ushort messageId, byte[] reply)
    {
        lock (_lock)
        {
            if (_index.TryGetValue(new Key(remote, messageId), out int slot))
            {
                if (reply.Length <= InlineReplySize)
                {
                    reply.CopyTo(_inlineReplies.AsSpan(slot * InlineReplySize));
                    _slots[slot].LongReply = null;
                }
                else
                {
                    _slots[slot].LongReply = reply;
                }

                _slots[slot].ReplyLength = reply.Length;
            }
        }
    }

    private void Purge(long now)
    {
        // Arrival order: NON entries (shorter lifetime) behind a CON entry wait for it, as they always did.
        while (_count > 0 && _slots[_head].ExpiresAt <= now)
        {
            RemoveOldest();
        }
    }

    /// <summary>A copy of an inline reply (duplicates are rare), the long reply itself, or null when none is set yet.</summary>
    private byte[]? GetReply(int slot) => _slots[slot] switch
    {
        { ReplyLength: < 0 } => null,
        { LongReply: { } reply } => reply,
        { ReplyLength: int length } => _inlineReplies.AsSpan(slot * InlineReplySize, length).ToArray(),
    };

    private void RemoveOldest()
    {
        _index.Remove(_slots[_head].Key);
        _slots[_head] = default;
        _head = (_head + 1) % _slots.Length;
        _count--;
    }

    private void Grow()
    {
        var larger = new Slot[(int)Math.Min((long)_slots.Length * 2, Math.Max(_capacity, InitialSlots))];
        byte[] largerReplies = new byte[larger.Length * InlineReplySize];
        for (int i = 0; i < _count; i++)
        {
            int from = (_head + i) % _slots.Length;
            Slot moved = _slots[from];
            larger[i] = moved;
            _inlineReplies.AsSpan(from * InlineReplySize, InlineReplySize).CopyTo(largerReplies.AsSpan(i * InlineReplySize));
            _index[moved.Key] = i;
        }

        _slots = larger;
        _inlineReplies = largerReplies;
        _head = 0;
    }

    private readonly record struct Key(EndPoint Remote, ushort MessageId);

    private struct Slot(Key key, long expiresAt)
    {
        public readonly Key Key = key;
        public readonly long ExpiresAt = expiresAt;

        /// <summary>-1 while no reply is set; replies up to <see cref="InlineReplySize"/> bytes live in the inline area.</summary>
        public int ReplyLength = -1;

        public byte[]? LongReply;
    }
}
