using System.Buffers.Text;
using System.Text.Json;
using ActiveGate.Devices.Model;

namespace ActiveGate.Devices.Readings;

/// <summary>Parses what devices send (docs/devices.md) into samples; rejects anything else with a reason.</summary>
public static class MeterPayload
{
    private const int MaxMeterBytes = 512;

    // A device clock further off than this is not synchronised (a node after a reboot counts from 1970): the
    // gateway's receive time is then the better measurement time.
    private static readonly TimeSpan s_maxClockSkew = TimeSpan.FromHours(1);

    /// <summary>
    /// A <c>/ch/N/meter</c> notification: <c>{"seq":42,"p":512.3,"e":10234.5,"i":2.31,"v":229.8,"relay":1}</c>.
    /// Members other than <c>seq</c> are optional; unknown members are ignored. A device with a synchronised clock may
    /// add <c>"t"</c>, its measurement time in Unix milliseconds: it becomes the sample's time when it is within an hour
    /// of <paramref name="receivedAt"/>.
    /// </summary>
    /// <exception cref="DevicePayloadException">Not the documented object, or a value out of range.</exception>
    public static ChannelSample ParseMeter(ReadOnlySpan<byte> utf8, string deviceId, int channel, DateTimeOffset receivedAt)
    {
        if (utf8.Length > MaxMeterBytes)
        {
            throw new DevicePayloadException($"meter payload is {utf8.Length} bytes; at most {MaxMeterBytes} expected");
        }

        long? sequence = null;
        double? power = null, energy = null, current = null, voltage = null;
        bool? relay = null;
        DateTimeOffset timestamp = receivedAt;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 2 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new DevicePayloadException("meter payload is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                switch (name)
                {
                    case "seq":
                        sequence = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long seq) && seq >= 0
                            ? seq
                            : throw new DevicePayloadException("meter 'seq' must be a non-negative whole number");
                        break;
                    case "p":
                        power = Number(ref reader, name, allowNegative: false);
                        break;
                    case "e":
                        energy = Number(ref reader, name, allowNegative: false);
                        break;
                    case "i":
                        current = Number(ref reader, name, allowNegative: false);
                        break;
                    case "v":
                        voltage = Number(ref reader, name, allowNegative: false);
                        break;
                    case "relay":
                        relay = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int r) && r is 0 or 1
                            ? r == 1
                            : throw new DevicePayloadException("meter 'relay' must be 0 or 1");
                        break;
                    case "t":
                        long unixMs = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long t) && t >= 0 && t < 253_402_300_800_000
                            ? t
                            : throw new DevicePayloadException("meter 't' must be Unix time in milliseconds");
                        DateTimeOffset measured = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
                        if ((measured - receivedAt).Duration() <= s_maxClockSkew)
                        {
                            timestamp = measured;
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new DevicePayloadException("meter payload has trailing data");
            }
        }
        catch (JsonException ex)
        {
            throw new DevicePayloadException("meter payload is not valid JSON: " + ex.Message, ex);
        }

        if (sequence is null)
        {
            throw new DevicePayloadException("meter payload has no 'seq'");
        }

        return new ChannelSample(deviceId, channel, 0, sequence.Value, timestamp, power, energy, current, voltage, relay);
    }

    /// <summary>A single-quantity resource: a plain decimal such as <c>512.3</c>.</summary>
    public static double ParseQuantity(ReadOnlySpan<byte> utf8, string quantity)
    {
        ReadOnlySpan<byte> trimmed = utf8.Trim((byte)' ').TrimEnd((byte)'\n');
        if (trimmed.Length is 0 or > 32 || !Utf8Parser.TryParse(trimmed, out double value, out int consumed) || consumed != trimmed.Length || !double.IsFinite(value) || value < 0)
        {
            throw new DevicePayloadException($"{quantity} must be a non-negative decimal number");
        }

        return value;
    }

    /// <summary>A relay resource: <c>1</c>/<c>0</c> (also <c>on</c>/<c>off</c>).</summary>
    public static bool ParseRelay(ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> trimmed = utf8.Trim((byte)' ').TrimEnd((byte)'\n');
        return trimmed.SequenceEqual("1"u8) || trimmed.SequenceEqual("on"u8) ? true
            : trimmed.SequenceEqual("0"u8) || trimmed.SequenceEqual("off"u8) ? false
            : throw new DevicePayloadException("relay state must be 1, 0, on or off");
    }

    private static double Number(ref Utf8JsonReader reader, string name, bool allowNegative)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double value) || !double.IsFinite(value) || (!allowNegative && value < 0))
        {
            throw new DevicePayloadException($"meter '{name}' must be a {(allowNegative ? "" : "non-negative ")}number");
        }

        return value;
    }
}
