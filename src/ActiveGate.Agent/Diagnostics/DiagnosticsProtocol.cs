using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActiveGate.Agent.Diagnostics;

/// <summary>
/// The wire format of the diagnostics socket: one JSON object per line each way.
/// Request <c>{"v":1,"cmd":"status","args":{}}</c>; response <c>{"v":1,"ok":true,"result":…}</c> or
/// <c>{"v":1,"ok":false,"error":{"code":"…","message":"…"}}</c>. A client speaking a newer major
/// version gets <c>unsupported-version</c> rather than a guess.
/// </summary>
public static class DiagnosticsProtocol
{
    public const int Version = 1;

    /// <summary>Largest request line accepted; a line over it closes the connection.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    public static string FormatRequest(string command, JsonObject? arguments) =>
        new JsonObject { ["v"] = Version, ["cmd"] = command, ["args"] = arguments ?? new JsonObject() }.ToJsonString();

    public static string FormatResult(JsonNode? result) =>
        new JsonObject { ["v"] = Version, ["ok"] = true, ["result"] = result }.ToJsonString();

    public static string FormatError(string code, string message) =>
        new JsonObject { ["v"] = Version, ["ok"] = false, ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }.ToJsonString();

    /// <summary>Parses a request line; on failure returns false with the error response code and message.</summary>
    public static bool TryParseRequest(string line, out string command, out JsonElement arguments, out string errorCode, out string errorMessage)
    {
        command = "";
        arguments = default;
        errorCode = "";
        errorMessage = "";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            (errorCode, errorMessage) = ("bad-request", "request is not JSON: " + ex.Message);
            return false;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                (errorCode, errorMessage) = ("bad-request", "request must be a JSON object");
                return false;
            }

            if (!root.TryGetProperty("v", out JsonElement version) || !version.TryGetInt32(out int v) || v != Version)
            {
                (errorCode, errorMessage) = ("unsupported-version", $"this agent speaks diagnostics protocol version {Version}");
                return false;
            }

            if (!root.TryGetProperty("cmd", out JsonElement cmd) || cmd.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(cmd.GetString()))
            {
                (errorCode, errorMessage) = ("bad-request", "request has no 'cmd'");
                return false;
            }

            command = cmd.GetString()!;
            arguments = root.TryGetProperty("args", out JsonElement args) && args.ValueKind == JsonValueKind.Object
                ? args.Clone()
                : JsonDocument.Parse("{}").RootElement.Clone();
            return true;
        }
    }
}
