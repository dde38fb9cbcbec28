using System.Text.Json;

namespace ActiveGate.Devices.Discovery;

/// <summary>The <c>/dev/info</c> document (docs/devices.md).</summary>
public sealed record DeviceInfoPayload(string? Model, int? Channels, double? RatedAmperes, string? Firmware, string? Serial)
{
    private const int MaxBytes = 1024;

    /// <summary>Parses the document; unknown members are ignored, wrong types rejected.</summary>
    /// <exception cref="DevicePayloadException">The payload is not the documented JSON object.</exception>
    public static DeviceInfoPayload Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes)
        {
            throw new DevicePayloadException($"/dev/info is {utf8.Length} bytes; at most {MaxBytes} expected");
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 4 });
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DevicePayloadException("/dev/info is not a JSON object");
            }

            return new DeviceInfoPayload(
                OptionalString(root, "model"),
                root.TryGetProperty("channels", out JsonElement channels) ? RequireInt(channels, "channels") : null,
                root.TryGetProperty("ratedA", out JsonElement rated) ? RequireNumber(rated, "ratedA") : null,
                OptionalString(root, "fw"),
                OptionalString(root, "serial"));
        }
        catch (JsonException ex)
        {
            throw new DevicePayloadException("/dev/info is not valid JSON: " + ex.Message, ex);
        }
    }

    private static string? OptionalString(JsonElement root, string name) =>
        !root.TryGetProperty(name, out JsonElement value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new DevicePayloadException($"/dev/info '{name}' must be a string");

    private static int RequireInt(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) && result is >= 0 and <= 16
            ? result
            : throw new DevicePayloadException($"/dev/info '{name}' must be a whole number from 0 to 16");

    private static double RequireNumber(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double result) && double.IsFinite(result) && result >= 0
            ? result
            : throw new DevicePayloadException($"/dev/info '{name}' must be a non-negative number");
}
