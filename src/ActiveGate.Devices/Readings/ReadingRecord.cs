using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using ActiveGate.Devices.Model;

namespace ActiveGate.Devices.Readings;

/// <summary>
/// A reading as the device layer hands it on: the sample and what the device was when it was taken. It is the one
/// neutral record of the upstream route; the outbox stores it (<see cref="ReadingRecord"/>) and each upstream maps it
/// to its own protocol only when delivering.
/// </summary>
/// <param name="Kind">What the device is (names its subtree upstream).</param>
/// <param name="ChannelCount">Channels of the device (1 for a plug, 3 for a DIN meter).</param>
/// <param name="Sample">The measurement: device, channel, epoch, sequence, time and values.</param>
public sealed record Reading(DeviceKind Kind, int ChannelCount, ChannelSample Sample);

/// <summary>
/// Compact binary form of a <see cref="Reading"/> in the outbox (which is payload-agnostic). Version 2:
/// <code>
///  0     1      2      3     4          12      13      14       18         26         ...
///  +-----+------+------+-----+----------+-------+-------+--------+----------+----------+-------------------+
///  | ver | kind | chs  | ch  | ts (ms)  | flags | idLen | epoch  | seq      | id UTF-8 | present doubles   |
///  +-----+------+------+-----+----------+-------+-------+--------+----------+----------+-------------------+
///  little-endian; flags: bit0 power, bit1 energy, bit2 current, bit3 voltage, bit4 relay present, bit5 relay on
/// </code>
/// Version 1 (written before the device's epoch and sequence were kept, kinds numbered Plug 0, Din 1, Generic 2)
/// is still read, so an outbox left by an older agent is delivered after an upgrade.
/// </summary>
public static class ReadingRecord
{
    private const byte Version1 = 1;
    private const byte Version2 = 2;
    private const int HeaderV1 = 14;
    private const int HeaderV2 = 26;

    /// <summary>Encodes a reading; throws <see cref="ArgumentException"/> for ids over 255 bytes or channels outside 1..255.</summary>
    public static byte[] Encode(Reading reading)
    {
        ArgumentNullException.ThrowIfNull(reading);
        ChannelSample s = reading.Sample;
        int idLength = Encoding.UTF8.GetByteCount(s.DeviceId);
        if (idLength is 0 or > 255 || reading.ChannelCount is < 1 or > 255 || s.Channel is < 0 or > 255)
        {
            throw new ArgumentException("device id of 1..255 bytes and channels 1..255 required", nameof(reading));
        }

        byte flags = 0;
        int count = 0;
        Span<double?> values = [s.PowerWatts, s.EnergyWattHours, s.CurrentAmperes, s.VoltageVolts];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].HasValue)
            {
                flags |= (byte)(1 << i);
                count++;
            }
        }

        if (s.RelayOn is { } relay)
        {
            flags |= (byte)(0x10 | (relay ? 0x20 : 0));
        }

        byte[] buffer = new byte[HeaderV2 + idLength + (count * 8)];
        Span<byte> span = buffer;
        span[0] = Version2;
        span[1] = (byte)reading.Kind;
        span[2] = (byte)reading.ChannelCount;
        span[3] = (byte)s.Channel;
        BinaryPrimitives.WriteInt64LittleEndian(span[4..], s.Timestamp.ToUnixTimeMilliseconds());
        span[12] = flags;
        span[13] = (byte)idLength;
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], s.Epoch);
        BinaryPrimitives.WriteInt64LittleEndian(span[18..], s.Sequence);
        Encoding.UTF8.GetBytes(s.DeviceId, span.Slice(HeaderV2, idLength));
        int offset = HeaderV2 + idLength;
        foreach (double? value in values)
        {
            if (value is { } v)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(span[offset..], v);
                offset += 8;
            }
        }

        return buffer;
    }

    /// <summary>
    /// Decodes a record; false (never an exception) for anything malformed. A version-1 record has no device sequence:
    /// <paramref name="fallbackSequence"/> (the outbox sequence) stands in for it, with epoch 0.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, long fallbackSequence, out Reading? reading)
    {
        reading = null;
        if (payload.Length < HeaderV1 || payload[0] is not (Version1 or Version2) || payload[2] == 0)
        {
            return false;
        }

        bool v2 = payload[0] == Version2;
        int header = v2 ? HeaderV2 : HeaderV1;
        if (payload.Length < header)
        {
            return false;
        }

        DeviceKind kind;
        if (v2)
        {
            if (payload[1] > (byte)DeviceKind.ActiveDin)
            {
                return false;
            }

            kind = (DeviceKind)payload[1];
        }
        else
        {
            kind = payload[1] switch { 0 => DeviceKind.ActivePlug, 1 => DeviceKind.ActiveDin, 2 => DeviceKind.Generic, _ => (DeviceKind)(-1) };
            if (!Enum.IsDefined(kind))
            {
                return false;
            }
        }

        int idLength = payload[13];
        byte flags = payload[12];
        int count = BitOperations.PopCount((uint)(flags & 0x0F));
        if (idLength == 0 || payload.Length != header + idLength + (count * 8))
        {
            return false;
        }

        string id;
        try
        {
            id = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload.Slice(header, idLength));
        }
        catch (ArgumentException)
        {
            return false;
        }

        long ms = BinaryPrimitives.ReadInt64LittleEndian(payload[4..]);
        if (ms < -62_135_596_800_000 || ms > 253_402_300_799_999)
        {
            return false;
        }

        Span<double?> values = stackalloc double?[4];
        int offset = header + idLength;
        for (int i = 0; i < 4; i++)
        {
            if ((flags & (1 << i)) != 0)
            {
                values[i] = BinaryPrimitives.ReadDoubleLittleEndian(payload[offset..]);
                offset += 8;
            }
        }

        int epoch = v2 ? BinaryPrimitives.ReadInt32LittleEndian(payload[14..]) : 0;
        long sequence = v2 ? BinaryPrimitives.ReadInt64LittleEndian(payload[18..]) : fallbackSequence;
        var sample = new ChannelSample(id, payload[3], epoch, sequence, DateTimeOffset.FromUnixTimeMilliseconds(ms),
            values[0], values[1], values[2], values[3], (flags & 0x10) != 0 ? (flags & 0x20) != 0 : null);
        reading = new Reading(kind, payload[2], sample);
        return true;
    }
}
