using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ActiveGate.Outbox;

/// <summary>
/// The delivery cursor (highest sequence delivered or dropped) in two alternating 16-byte slots:
/// <c>[sequence u64][generation u32][crc32c u32]</c>. A write that tears one slot leaves the other valid, and the
/// newest valid slot wins; if both are bad the cursor is 0 and everything on disk is re-delivered (idempotently).
/// </summary>
internal sealed class OutboxCursorFile : IDisposable
{
    private const int SlotSize = 16;
    private readonly SafeFileHandle _handle;
    private readonly bool _fsync;
    private uint _generation;

    public OutboxCursorFile(string path, bool fsync)
    {
        _fsync = fsync;
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        Span<byte> buffer = stackalloc byte[SlotSize * 2];
        int read = RandomAccess.Read(_handle, buffer, 0);
        long best = 0;
        for (int slot = 0; slot < 2; slot++)
        {
            if (read < (slot + 1) * SlotSize)
            {
                continue;
            }

            ReadOnlySpan<byte> s = buffer.Slice(slot * SlotSize, SlotSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(s[12..]) != Crc32C.Compute(s[..12]))
            {
                continue;
            }

            uint generation = BinaryPrimitives.ReadUInt32LittleEndian(s[8..]);
            if (generation >= _generation)
            {
                _generation = generation;
                best = BinaryPrimitives.ReadInt64LittleEndian(s);
            }
        }

        Sequence = best;
    }

    /// <summary>The persisted cursor.</summary>
    public long Sequence { get; private set; }

    public void Write(long sequence)
    {
        if (sequence == Sequence)
        {
            return;
        }

        _generation++;
        Span<byte> slot = stackalloc byte[SlotSize];
        BinaryPrimitives.WriteInt64LittleEndian(slot, sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], _generation);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[12..], Crc32C.Compute(slot[..12]));
        RandomAccess.Write(_handle, slot, (_generation % 2) * SlotSize);
        if (_fsync)
        {
            RandomAccess.FlushToDisk(_handle);
        }

        Sequence = sequence;
    }

    public void Dispose() => _handle.Dispose();
}
