using System.Net;

namespace ActiveGate.Coap.Stack.Deduplication;

/// <summary>
/// Remembers (peer, message ID) of received CON and NON messages for EXCHANGE_LIFETIME /
/// NON_LIFETIME (RFC 7252 §4.5) together with the reply that was sent, so a duplicate is answered
/// with the same bytes instead of being processed again. Bounded: when full, the oldest entry is
/// evicted (and counted).
/// </summary>
/// <remarks>
/// Entries live in a ring of structs in arrival order (oldest at the head), indexed by a
/// dictionary of struct keys: a busy server registers one entry per request, and these would
/// otherwise be objects that outlive the youngest GC generation by design.
/// </remarks>
internal sealed class Deduplicator
{
    private const int InitialSlots = 64;
    private readonly Dictionary<Key, int> _index = [];
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly CoapEndpointCounters _counters;
    private readonly object _lock = new();
    private Slot[] _slots = new Slot[InitialSlots];
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
                cachedReply = _slots[existing].Reply;
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
                _slots[slot].Reply = reply;
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
        for (int i = 0; i < _count; i++)
        {
            Slot moved = _slots[(_head + i) % _slots.Length];
            larger[i] = moved;
            _index[moved.Key] = i;
        }

        _slots = larger;
        _head = 0;
    }

    private readonly record struct Key(EndPoint Remote, ushort MessageId);

    private struct Slot(Key key, long expiresAt)
    {
        public readonly Key Key = key;
        public readonly long ExpiresAt = expiresAt;
        public byte[]? Reply;
    }
}
