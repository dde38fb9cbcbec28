using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>
/// SenML JSON (RFC 8428, content format 110) as LwM2M 1.1 uses it:
/// <c>[{"bn":"/3/0/","n":"0","vs":"ActiveGate"},{"n":"9","v":87},{"n":"7/0","v":3800}]</c>.
/// Values: v (numbers, times), vs (strings), vb (booleans), vd (opaque, base64url), vlo (object link).
/// </summary>
internal static class SenmlJsonFormat
{
    // Relaxed escaping: the payload is never embedded in HTML, and servers compare strings such as "+02:00" as written.
    private static readonly JsonWriterOptions s_writerOptions = new() { Indented = false, SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Encode(Lwm2mPath requestPath, IReadOnlyList<Lwm2mRecord> records, IBufferWriter<byte> output, IReadOnlyList<long>? timestamps = null)
    {
        using var writer = new Utf8JsonWriter(output, s_writerOptions);
        string baseName = SenmlNaming.BaseName(requestPath);
        int baseLevels = SenmlNaming.BaseLevels(requestPath);
        writer.WriteStartArray();
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            writer.WriteStartObject();
            if (i == 0)
            {
                writer.WriteString("bn"u8, baseName);
            }

            string name = SenmlNaming.RelativeName(record.Path, baseLevels);
            if (name.Length > 0)
            {
                writer.WriteString("n"u8, name);
            }

            if (timestamps is not null)
            {
                writer.WriteNumber("t"u8, timestamps[i]);
            }

            WriteValue(writer, record.Value);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.Flush();
    }

    /// <summary>Encodes a Send/composite payload where each record carries its absolute path as name.</summary>
    public static void EncodeAbsolute(IReadOnlyList<Lwm2mRecord> records, IBufferWriter<byte> output, long? baseTime)
    {
        using var writer = new Utf8JsonWriter(output, s_writerOptions);
        writer.WriteStartArray();
        for (int i = 0; i < records.Count; i++)
        {
            writer.WriteStartObject();
            if (i == 0 && baseTime is long bt)
            {
                writer.WriteNumber("bt"u8, bt);
            }

            writer.WriteString("n"u8, records[i].Path.ToString());
            WriteValue(writer, records[i].Value);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.Flush();
    }

    private static void WriteValue(Utf8JsonWriter writer, Lwm2mValue value)
    {
        switch (value.Type)
        {
            case ResourceType.Integer:
                writer.WriteNumber("v"u8, value.AsInteger());
                break;
            case ResourceType.Time:
                writer.WriteNumber("v"u8, value.AsUnixTime());
                break;
            case ResourceType.UnsignedInteger:
                writer.WriteNumber("v"u8, value.AsUnsignedInteger());
                break;
            case ResourceType.Float:
                writer.WriteNumber("v"u8, value.AsFloat());
                break;
            case ResourceType.Boolean:
                writer.WriteBoolean("vb"u8, value.AsBoolean());
                break;
            case ResourceType.Opaque:
                writer.WriteString("vd"u8, SenmlNaming.ToBase64Url(value.AsOpaque().Span));
                break;
            case ResourceType.ObjectLink:
                writer.WriteString("vlo"u8, value.AsObjectLink().ToString());
                break;
            default:
                writer.WriteString("vs"u8, value.AsString());
                break;
        }
    }

    /// <summary>Decodes records; with <paramref name="namesOnly"/> records without a value are allowed (composite read/observe requests).</summary>
    public static List<(Lwm2mPath Path, Lwm2mValue? Value)> Decode(ReadOnlySpan<byte> payload, DecodeLimits limits, bool namesOnly)
    {
        var result = new List<(Lwm2mPath, Lwm2mValue?)>();
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = limits.MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new Lwm2mFormatException("SenML JSON must be an array of records.");
            }

            string baseName = string.Empty;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new Lwm2mFormatException("SenML JSON array holds a non-object.");
                }

                if (result.Count >= limits.MaxRecords)
                {
                    throw new Lwm2mFormatException($"SenML payload holds more than {limits.MaxRecords} records.");
                }

                string? name = null;
                Lwm2mValue? value = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string key = reader.GetString()!;
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                    {
                        throw new Lwm2mFormatException($"SenML field '{SenmlNaming.Truncate(key)}' is nested; values are scalars.");
                    }

                    switch (key)
                    {
                        case "bn":
                            baseName = ExpectString(ref reader, key);
                            break;
                        case "n":
                            name = ExpectString(ref reader, key);
                            break;
                        case "v":
                            value = ReadNumber(ref reader);
                            break;
                        case "vs":
                            value = Lwm2mValue.FromString(ExpectString(ref reader, key));
                            break;
                        case "vb":
                            value = reader.TokenType is JsonTokenType.True or JsonTokenType.False ? Lwm2mValue.FromBoolean(reader.GetBoolean()) : throw new Lwm2mFormatException("SenML vb must be a boolean.");
                            break;
                        case "vd":
                            value = Lwm2mValue.FromOpaque(SenmlNaming.FromBase64Any(ExpectString(ref reader, key)));
                            break;
                        case "vlo":
                            value = ObjectLink.TryParse(ExpectString(ref reader, key), out var link) ? Lwm2mValue.FromObjectLink(link) : throw new Lwm2mFormatException("SenML vlo must be 'object:instance'.");
                            break;
                        default:
                            // bt, t, bver, units: not needed by the client. Keys ending in '_' are "must understand".
                            if (key.EndsWith('_'))
                            {
                                throw new Lwm2mFormatException($"SenML must-understand field '{SenmlNaming.Truncate(key)}' is not supported.");
                            }

                            break;
                    }
                }

                if (value is null && !namesOnly)
                {
                    throw new Lwm2mFormatException("SenML record has no value (v, vs, vb, vd or vlo).");
                }

                result.Add((SenmlNaming.ParseName(baseName, name), value));
            }

            if (reader.Read())
            {
                throw new Lwm2mFormatException("SenML JSON has data after the array.");
            }
        }
        catch (JsonException ex)
        {
            throw new Lwm2mFormatException("SenML JSON malformed: " + ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new Lwm2mFormatException("SenML JSON malformed: " + ex.Message, ex);
        }

        return result;
    }

    private static string ExpectString(ref Utf8JsonReader reader, string key) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new Lwm2mFormatException($"SenML {key} must be a string.");

    private static Lwm2mValue ReadNumber(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new Lwm2mFormatException("SenML v must be a number.");
        }

        if (reader.TryGetInt64(out long l))
        {
            return Lwm2mValue.FromInteger(l);
        }

        if (reader.TryGetUInt64(out ulong u))
        {
            return Lwm2mValue.FromUnsignedInteger(u);
        }

        double d = reader.GetDouble();
        return double.IsFinite(d) ? Lwm2mValue.FromFloat(d) : throw new Lwm2mFormatException("SenML v is not a finite number.");
    }
}
