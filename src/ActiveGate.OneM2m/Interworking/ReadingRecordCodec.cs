using System.Buffers.Binary;
using System.Text;

namespace ActiveGate.OneM2m.Interworking;

/// <summary>
/// Compact binary form of a reading in the outbox (the outbox itself is payload-agnostic). It carries the device's
/// descriptor so a replay after a restart maps onto the right subtree even before the registry is loaded.
/// <code>
///  0     1      2      3     4          12        13      ...
///  +-----+------+------+-----+----------+---------+-------+----------+-------------------+
///  | ver | kind | chs  | ch  | ts (ms)  | flags   | idLen | id UTF-8 | present doubles   |
///  +-----+------+------+-----+----------+---------+-------+----------+-------------------+
///  flags: bit0 power, bit1 energy, bit2 current, bit3 voltage, bit4 relay present, bit5 relay on
/// </code>
/// The reading's sequence is NOT stored: it is the outbox sequence (unique, persisted) assigned on append.
/// </summary>
public static class ReadingRecordCodec
{
    private const byte Version = 1;

    public static byte[] Encode(DeviceDescriptor device, DeviceReading reading)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(reading);
        byte[] id = Encoding.UTF8.GetBytes(reading.DeviceId);
        if (id.Length > 255 || device.Channels is < 1 or > 255 || reading.Channel is < 0 or > 255)
        {
            throw new ArgumentException("device id ≤ 255 bytes and channels 1..255 required", nameof(reading));
        }

        Span<double> values = [reading.PowerW ?? 0, reading.EnergyWh ?? 0, reading.CurrentA ?? 0, reading.VoltageV ?? 0];
        bool[] present = [reading.PowerW.HasValue, reading.EnergyWh.HasValue, reading.CurrentA.HasValue, reading.VoltageV.HasValue];
        byte flags = 0;
        int count = 0;
        for (int i = 0; i < 4; i++)
        {
            if (present[i])
            {
                flags |= (byte)(1 << i);
                count++;
            }
        }

        if (reading.RelayOn is { } relay)
        {
            flags |= (byte)(0x10 | (relay ? 0x20 : 0));
        }

        byte[] buffer = new byte[14 + id.Length + (count * 8)];
        buffer[0] = Version;
        buffer[1] = (byte)device.Kind;
        buffer[2] = (byte)device.Channels;
        buffer[3] = (byte)reading.Channel;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(4), reading.Timestamp.ToUnixTimeMilliseconds());
        buffer[12] = flags;
        buffer[13] = (byte)id.Length;
        id.CopyTo(buffer, 14);
        int offset = 14 + id.Length;
        for (int i = 0; i < 4; i++)
        {
            if (present[i])
            {
                BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(offset), values[i]);
                offset += 8;
            }
        }

        return buffer;
    }

    /// <summary>Decodes a payload; false (never an exception) for anything malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, long sequence, out DeviceDescriptor? device, out DeviceReading? reading)
    {
        device = null;
        reading = null;
        if (payload.Length < 14 || payload[0] != Version || payload[1] > (byte)DeviceKind.Generic || payload[2] == 0)
        {
            return false;
        }

        int idLength = payload[13];
        byte flags = payload[12];
        int count = System.Numerics.BitOperations.PopCount((uint)(flags & 0x0F));
        if (payload.Length != 14 + idLength + (count * 8) || idLength == 0)
        {
            return false;
        }

        string id;
        try
        {
            id = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload.Slice(14, idLength));
        }
        catch (ArgumentException)
        {
            return false;
        }

        double?[] values = new double?[4];
        int offset = 14 + idLength;
        for (int i = 0; i < 4; i++)
        {
            if ((flags & (1 << i)) != 0)
            {
                values[i] = BinaryPrimitives.ReadDoubleLittleEndian(payload[offset..]);
                offset += 8;
            }
        }

        long ms = BinaryPrimitives.ReadInt64LittleEndian(payload[4..]);
        if (ms < -62_135_596_800_000 || ms > 253_402_300_799_999)
        {
            return false;
        }

        device = new DeviceDescriptor(id, (DeviceKind)payload[1], payload[2]);
        reading = new DeviceReading(id, payload[3], sequence, DateTimeOffset.FromUnixTimeMilliseconds(ms),
            values[0], values[1], values[2], values[3], (flags & 0x10) != 0 ? (flags & 0x20) != 0 : null);
        return true;
    }
}
