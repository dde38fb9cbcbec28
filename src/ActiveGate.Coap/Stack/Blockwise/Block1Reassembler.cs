using System.Buffers;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Stack.Blockwise;

/// <summary>What the server does with a received Block1 block.</summary>
internal enum Block1Status
{
    /// <summary>Stored; answer 2.31 Continue.</summary>
    Continue,

    /// <summary>Last block stored; the whole body is ready for the handler.</summary>
    Complete,

    /// <summary>Out of order or no transfer in progress: 4.08 Request Entity Incomplete.</summary>
    Incomplete,

    /// <summary>Body above the limit: 4.13 Request Entity Too Large with Size1.</summary>
    TooLarge,
}

/// <summary>
/// Server-side Block1 reassembly (RFC 7959 §2.5): one buffer per (peer, method, URI), blocks in
/// order by byte offset (so the client may change SZX mid-transfer), bounded in body size, count
/// of transfers (least recently used evicted) and age (EXCHANGE_LIFETIME).
/// </summary>
internal sealed class Block1Reassembler
{
    private readonly Dictionary<string, Transfer> _transfers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _maxBodySize;
    private readonly int _maxTransfers;
    private readonly TimeSpan _lifetime;
    private readonly object _lock = new();

    public Block1Reassembler(TimeProvider time, int maxBodySize, int maxTransfers, TimeSpan lifetime)
    {
        _time = time;
        _maxBodySize = maxBodySize;
        _maxTransfers = Math.Max(1, maxTransfers);
        _lifetime = lifetime;
    }

    public int MaxBodySize => _maxBodySize;

    public int ActiveTransfers
    {
        get
        {
            lock (_lock)
            {
                return _transfers.Count;
            }
        }
    }

    public Block1Status Accept(string key, BlockOption block, ReadOnlySpan<byte> payload, uint? size1, out ReadOnlyMemory<byte> body)
    {
        body = default;
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            PurgeExpired(now);
            if (block.Number == 0)
            {
                _transfers.Remove(key);
                if (size1 > (uint)_maxBodySize)
                {
                    return Block1Status.TooLarge;
                }

                if (_transfers.Count >= _maxTransfers)
                {
                    EvictLeastRecentlyUsed();
                }

                _transfers[key] = new Transfer();
            }

            if (!_transfers.TryGetValue(key, out Transfer? transfer) || transfer.Body.WrittenCount != block.Offset)
            {
                // A missing start or a gap: the body cannot be assembled (§2.9.2).
                _transfers.Remove(key);
                return Block1Status.Incomplete;
            }

            if (transfer.Body.WrittenCount + payload.Length > _maxBodySize)
            {
                _transfers.Remove(key);
                return Block1Status.TooLarge;
            }

            transfer.Body.Write(payload);
            transfer.LastActivity = now;
            if (block.More)
            {
                return Block1Status.Continue;
            }

            _transfers.Remove(key);
            body = transfer.Body.WrittenMemory;
            return Block1Status.Complete;
        }
    }

    private void PurgeExpired(long now)
    {
        List<string>? expired = null;
        foreach ((string key, Transfer transfer) in _transfers)
        {
            if (_time.GetElapsedTime(transfer.LastActivity, now) > _lifetime)
            {
                (expired ??= []).Add(key);
            }
        }

        expired?.ForEach(key => _transfers.Remove(key));
    }

    private void EvictLeastRecentlyUsed()
    {
        string? oldest = null;
        long oldestActivity = long.MaxValue;
        foreach ((string key, Transfer transfer) in _transfers)
        {
            if (transfer.LastActivity < oldestActivity)
            {
                oldest = key;
                oldestActivity = transfer.LastActivity;
            }
        }

        if (oldest is not null)
        {
            _transfers.Remove(oldest);
        }
    }

    private sealed class Transfer
    {
        public ArrayBufferWriter<byte> Body { get; } = new(1024);

        public long LastActivity { get; set; }
    }
}
