using System.Buffers.Binary;

namespace ActiveGate.Outbox;

/// <summary>
/// On-disk layout (little-endian).
/// <code>
/// segment file "&lt;firstSeq:D20&gt;.seg":
///  0       4       6       8                      16
///  +-------+-------+-------+----------------------+
///  | "AGOB"| ver=1 | rsvd  | first sequence (u64) |   header, then records back to back
///  +-------+-------+-------+----------------------+
///
/// record:
///  0            4            8                    16                   24
///  +------------+------------+--------------------+--------------------+-------------------+
///  | length u32 | crc32c u32 | sequence u64       | accepted unix ms   | payload (length)  |
///  +------------+------------+--------------------+--------------------+-------------------+
///  crc32c covers length, sequence, accepted time and payload, so a torn or stale length is caught too.
/// </code>
/// A record is valid only if it is complete, its CRC matches and its sequence follows the previous one.
/// </summary>
internal static class OutboxRecordFormat
{
    public const uint Magic = 0x424F4741; // "AGOB" little-endian
    public const ushort Version = 1;
    public const int SegmentHeaderSize = 16;
    public const int RecordHeaderSize = 24;

    public static void WriteSegmentHeader(Span<byte> destination, long firstSequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], firstSequence);
    }

    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> source, out long firstSequence)
    {
        firstSequence = 0;
        if (source.Length < SegmentHeaderSize
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(source[4..]) != Version)
        {
            return false;
        }

        firstSequence = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        return firstSequence > 0;
    }

    public static int RecordSize(int payloadLength) => RecordHeaderSize + payloadLength;

    public static void WriteRecord(Span<byte> destination, long sequence, long acceptedUnixMs, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], acceptedUnixMs);
        payload.CopyTo(destination[RecordHeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Checksum(destination[..RecordSize(payload.Length)]));
    }

    private static uint Checksum(ReadOnlySpan<byte> record)
    {
        uint crc = Crc32C.Append(~0u, record[..4]);
        return ~Crc32C.Append(crc, record[8..]);
    }

    public enum ReadResult
    {
        Ok,
        /// <summary>Not enough bytes for a whole record: a torn tail (or the end).</summary>
        Incomplete,
        /// <summary>Bad length, checksum or sequence: corruption.</summary>
        Corrupt,
    }

    /// <summary>Reads one record at the start of <paramref name="source"/>; never throws.</summary>
    public static ReadResult TryReadRecord(ReadOnlySpan<byte> source, int maxPayload, out long sequence, out long acceptedUnixMs, out int payloadLength)
    {
        sequence = 0;
        acceptedUnixMs = 0;
        payloadLength = 0;
        if (source.Length < RecordHeaderSize)
        {
            return ReadResult.Incomplete;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(source);
        if (length < 0 || length > maxPayload)
        {
            return ReadResult.Corrupt;
        }

        if (source.Length < RecordSize(length))
        {
            return ReadResult.Incomplete;
        }

        ReadOnlySpan<byte> record = source[..RecordSize(length)];
        if (BinaryPrimitives.ReadUInt32LittleEndian(record[4..]) != Checksum(record))
        {
            return ReadResult.Corrupt;
        }

        sequence = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
        acceptedUnixMs = BinaryPrimitives.ReadInt64LittleEndian(record[16..]);
        payloadLength = length;
        return ReadResult.Ok;
    }
}
