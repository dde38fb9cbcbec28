using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ActiveGate.OneM2m.Resources;

/// <summary>
/// oneM2M JSON wraps every resource in an object keyed by its root name (<c>{"m2m:cin":{…}}</c>). The root
/// key is a runtime value for flexContainers (<c>cod:binSh</c> vs <c>hd:binSh</c>), so wrapping is done here
/// rather than with per-type wrapper classes.
/// </summary>
public static class OneM2mJson
{
    public static byte[] Wrap<T>(string rootKey, T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(rootKey);
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Finds <paramref name="rootKey"/> at the top level and deserializes its value. Never throws on bad input.</summary>
    public static bool TryUnwrap<T>(ReadOnlySpan<byte> json, string rootKey, JsonTypeInfo<T> typeInfo, out T? value)
    {
        value = default;
        if (json.IsEmpty)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = reader.ValueTextEquals(rootKey);
                if (!reader.Read())
                {
                    return false;
                }

                if (match)
                {
                    value = JsonSerializer.Deserialize(ref reader, typeInfo);
                    return value is not null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
            // Thrown by the reader for some token/type mismatches; treat as "not this shape".
        }

        return false;
    }

    /// <summary>Returns the single top-level key of a wrapped resource (e.g. <c>cod:binSh</c>) and its value.</summary>
    public static bool TryGetRoot(JsonElement element, out string rootKey, out JsonElement value)
    {
        rootKey = "";
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            rootKey = property.Name;
            value = property.Value;
            return true;
        }

        return false;
    }

    /// <summary>Reads the CSE's <c>m2m:dbg</c> diagnostic string, if any.</summary>
    public static string? TryReadDebug(ReadOnlySpan<byte> json)
        => TryUnwrap(json, "m2m:dbg", OneM2mJsonContext.Default.String, out string? dbg) ? dbg : null;
}
