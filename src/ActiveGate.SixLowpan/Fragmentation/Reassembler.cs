using System.Buffers;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Iphc;

namespace ActiveGate.SixLowpan.Fragmentation;

/// <summary>Limits of a <see cref="Reassembler"/>.</summary>
public sealed record ReassemblyOptions
{
    /// <summary>
    /// How long a partial datagram is kept after its first fragment. RFC 4944 allows at most 60 s;
    /// the default 10 s is generous for a serial radio yet frees buffers of lost datagrams quickly.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Datagrams reassembled at the same time; when full the oldest is dropped.</summary>
    public int MaxConcurrent { get; init; } = 8;

    /// <summary>Largest datagram accepted (1280, the IPv6 minimum MTU, by default; at most 2047).</summary>
    public int MaxDatagramSize { get; init; } = 1280;
}

/// <summary>Outcome of <see cref="Reassembler.Add"/>.</summary>
public enum ReassemblyStatus
{
    /// <summary>The fragment was stored; more are needed.</summary>
    Incomplete,

    /// <summary>The datagram is complete.</summary>
    Complete,

    /// <summary>The fragment was malformed or refused; see the error.</summary>
    Dropped,
}

/// <summary>Counters of a <see cref="Reassembler"/>, for diagnostics.</summary>
public readonly record struct ReassemblyCounters(long Completed, long TimedOut, long Evicted, long Dropped);

/// <summary>
/// RFC 4944 fragment reassembly keyed by (link source, link destination, datagram size, tag), with
/// a timeout from an injected <see cref="TimeProvider"/> and a bounded number of pooled buffers.
/// </summary>
/// <remarks>
/// Fragments may arrive in any order (FRAGN before FRAG1). FRAG1 carries the IPHC-compressed
/// headers, which are decompressed in place at offset 0. Expired entries are purged lazily on each
/// call and by <see cref="PurgeExpired"/>, so no timer is needed.
/// </remarks>
public sealed class Reassembler : IDisposable
{
    private readonly ReassemblyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly List<Entry> _entries = [];
    private readonly Lock _lock = new();
    private long _completed;
    private long _timedOut;
    private long _evicted;
    private long _dropped;

    /// <summary>Creates a reassembler.</summary>
    public Reassembler(ReassemblyOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new ReassemblyOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxConcurrent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.MaxDatagramSize, Iphc.Iphc.MaxDatagramSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxDatagramSize, 40);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.Timeout, TimeSpan.Zero);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Partial datagrams currently held.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Counters since creation.</summary>
    public ReassemblyCounters Counters
    {
        get
        {
            lock (_lock)
            {
                return new ReassemblyCounters(_completed, _timedOut, _evicted, _dropped);
            }
        }
    }

    /// <summary>
    /// Adds one fragment (the MAC payload, starting at the FRAG1/FRAGN dispatch).
    /// When complete, <paramref name="datagram"/> holds the whole IPv6 datagram (a new array owned by the caller).
    /// </summary>
    public ReassemblyStatus Add(ReadOnlySpan<byte> fragment, LinkAddresses link, ContextTable? contexts, out byte[]? datagram, out LowpanError error)
    {
        datagram = null;
        lock (_lock)
        {
            PurgeExpiredLocked();
            if (!FragmentHeader.TryRead(fragment, out FragmentHeader header))
            {
                return Drop(fragment.Length < FragmentHeader.FirstLength ? LowpanError.Truncated : LowpanError.UnsupportedDispatch, out error);
            }

            if (header.DatagramSize > _options.MaxDatagramSize)
            {
                return Drop(LowpanError.TooLarge, out error);
            }

            if (header.DatagramSize < 40)
            {
                return Drop(LowpanError.InvalidFragment, out error);
            }

            var key = new Key(link.Source, link.Destination, header.DatagramSize, header.Tag);
            Entry? entry = Find(key);
            if (entry is null)
            {
                if (_entries.Count >= _options.MaxConcurrent)
                {
                    Entry oldest = _entries.MinBy(e => e.Deadline)!;
                    Remove(oldest);
                    _evicted++;
                }

                entry = new Entry(key, ArrayPool<byte>.Shared.Rent(header.DatagramSize), _timeProvider.GetUtcNow().UtcTicks + _options.Timeout.Ticks);
                _entries.Add(entry);
            }

            ReadOnlySpan<byte> data = fragment[header.Length..];
            Span<byte> buffer = entry.Buffer.AsSpan(0, header.DatagramSize);
            int start;
            int end;
            if (header.IsFirst)
            {
                if (data.Length == 0)
                {
                    Remove(entry);
                    return Drop(LowpanError.Truncated, out error);
                }

                if (LowpanDispatch.Classify(data[0]) != LowpanDispatchKind.Iphc)
                {
                    // FRAG1 with an uncompressed (0x41) datagram: the bytes are the datagram itself.
                    if (data.Length > 0 && LowpanDispatch.Classify(data[0]) == LowpanDispatchKind.Ipv6 && data.Length - 1 <= buffer.Length)
                    {
                        data[1..].CopyTo(buffer);
                        start = 0;
                        end = data.Length - 1;
                        return Mark(entry, start, end, out datagram, out error);
                    }

                    Remove(entry);
                    return Drop(LowpanError.UnsupportedDispatch, out error);
                }

                if (!IphcDecompressor.TryDecompress(data, link, contexts, header.DatagramSize, buffer, out IphcDecompressResult result))
                {
                    Remove(entry);
                    return Drop(result.Error == LowpanError.DestinationTooSmall ? LowpanError.InvalidFragment : result.Error, out error);
                }

                int rest = data.Length - result.BytesConsumed;
                if (result.BytesWritten + rest > header.DatagramSize)
                {
                    Remove(entry);
                    return Drop(LowpanError.InvalidFragment, out error);
                }

                data[result.BytesConsumed..].CopyTo(buffer[result.BytesWritten..]);
                entry.UdpOffset = result.UdpChecksumElided ? result.UdpOffset : -1;
                start = 0;
                end = result.BytesWritten + rest;
            }
            else
            {
                if (header.Offset + data.Length > header.DatagramSize)
                {
                    Remove(entry);
                    return Drop(LowpanError.InvalidFragment, out error);
                }

                data.CopyTo(buffer[header.Offset..]);
                start = header.Offset;
                end = header.Offset + data.Length;
            }

            return Mark(entry, start, end, out datagram, out error);
        }
    }

    /// <summary>Drops partial datagrams whose timeout has passed; returns how many.</summary>
    public int PurgeExpired()
    {
        lock (_lock)
        {
            return PurgeExpiredLocked();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (Entry entry in _entries)
            {
                ArrayPool<byte>.Shared.Return(entry.Buffer);
            }

            _entries.Clear();
        }
    }

    private ReassemblyStatus Mark(Entry entry, int start, int end, out byte[]? datagram, out LowpanError error)
    {
        datagram = null;
        error = LowpanError.None;
        int size = entry.Key.Size;
        if (end <= start)
        {
            return ReassemblyStatus.Incomplete;
        }

        // 8-octet blocks; a fragment ending mid-block covers it only if it ends the datagram.
        int firstBlock = start / 8;
        int lastBlock = end == size ? (size - 1) / 8 : (end / 8) - 1;
        for (int block = firstBlock; block <= lastBlock; block++)
        {
            entry.Blocks[block >> 6] |= 1UL << (block & 63);
        }

        int blocks = (size + 7) / 8;
        for (int block = 0; block < blocks; block++)
        {
            if ((entry.Blocks[block >> 6] & (1UL << (block & 63))) == 0)
            {
                return ReassemblyStatus.Incomplete;
            }
        }

        datagram = entry.Buffer.AsSpan(0, size).ToArray();
        if (entry.UdpOffset >= 0)
        {
            LowpanCodec.FillElidedUdpChecksum(datagram, entry.UdpOffset);
        }

        Remove(entry);
        _completed++;
        return ReassemblyStatus.Complete;
    }

    private ReassemblyStatus Drop(LowpanError reason, out LowpanError error)
    {
        _dropped++;
        error = reason;
        return ReassemblyStatus.Dropped;
    }

    private Entry? Find(Key key)
    {
        foreach (Entry entry in _entries)
        {
            if (entry.Key == key)
            {
                return entry;
            }
        }

        return null;
    }

    private void Remove(Entry entry)
    {
        _entries.Remove(entry);
        ArrayPool<byte>.Shared.Return(entry.Buffer);
    }

    private int PurgeExpiredLocked()
    {
        if (_entries.Count == 0)
        {
            return 0;
        }

        long now = _timeProvider.GetUtcNow().UtcTicks;
        int removed = 0;
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Deadline <= now)
            {
                Remove(_entries[i]);
                removed++;
            }
        }

        _timedOut += removed;
        return removed;
    }

    private readonly record struct Key(MacAddress Source, MacAddress Destination, int Size, ushort Tag);

    private sealed class Entry(Key key, byte[] buffer, long deadline)
    {
        public Key Key { get; } = key;

        public byte[] Buffer { get; } = buffer;

        public long Deadline { get; } = deadline;

        public ulong[] Blocks { get; } = new ulong[4];

        public int UdpOffset { get; set; } = -1;
    }
}
