using System.Buffers;
using System.Formats.Cbor;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>
/// SenML CBOR (RFC 8428 §6, content format 112): an array of maps with integer labels
/// bn −2, bt −3, n 0, v 2, vs 3, vb 4, t 6, vd 8 (byte string) and the LwM2M text label "vlo".
/// </summary>
internal static class SenmlCborFormat
{
    private const int BaseName = -2;
    private const int BaseTime = -3;
    private const int Name = 0;
    private const int Value = 2;
    private const int StringValue = 3;
    private const int BooleanValue = 4;
    private const int Time = 6;
    private const int DataValue = 8;

    public static void Encode(Lwm2mPath requestPath, IReadOnlyList<Lwm2mRecord> records, IBufferWriter<byte> output, bool absoluteNames = false, long? baseTime = null)
    {
        var writer = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false, allowMultipleRootLevelValues: false);
        string baseName = SenmlNaming.BaseName(requestPath);
        int baseLevels = SenmlNaming.BaseLevels(requestPath);
        writer.WriteStartArray(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            string name = absoluteNames ? record.Path.ToString() : SenmlNaming.RelativeName(record.Path, baseLevels);
            bool writeBase = i == 0 && !absoluteNames;
            bool writeTime = i == 0 && baseTime.HasValue;
            writer.WriteStartMap((writeBase ? 1 : 0) + (writeTime ? 1 : 0) + (name.Length > 0 ? 1 : 0) + 1);
            if (writeBase)
            {
                writer.WriteInt32(BaseName);
                writer.WriteTextString(baseName);
            }

            if (writeTime)
            {
                writer.WriteInt32(BaseTime);
                writer.WriteInt64(baseTime!.Value);
            }

            if (name.Length > 0)
            {
                writer.WriteInt32(Name);
                writer.WriteTextString(name);
            }

            WriteValue(writer, record.Value);
            writer.WriteEndMap();
        }

        writer.WriteEndArray();
        var span = output.GetSpan(writer.BytesWritten);
        output.Advance(writer.Encode(span));
    }

    private static void WriteValue(CborWriter writer, Lwm2mValue value)
    {
        switch (value.Type)
        {
            case ResourceType.Integer:
                writer.WriteInt32(Value);
                writer.WriteInt64(value.AsInteger());
                break;
            case ResourceType.Time:
                writer.WriteInt32(Value);
                writer.WriteInt64(value.AsUnixTime());
                break;
            case ResourceType.UnsignedInteger:
                writer.WriteInt32(Value);
                writer.WriteUInt64(value.AsUnsignedInteger());
                break;
            case ResourceType.Float:
                writer.WriteInt32(Value);
                double d = value.AsFloat();
                if ((double)(float)d == d)
                {
                    writer.WriteSingle((float)d);
                }
                else
                {
                    writer.WriteDouble(d);
                }

                break;
            case ResourceType.Boolean:
                writer.WriteInt32(BooleanValue);
                writer.WriteBoolean(value.AsBoolean());
                break;
            case ResourceType.Opaque:
                writer.WriteInt32(DataValue);
                writer.WriteByteString(value.AsOpaque().Span);
                break;
            case ResourceType.ObjectLink:
                writer.WriteTextString("vlo");
                writer.WriteTextString(value.AsObjectLink().ToString());
                break;
            default:
                writer.WriteInt32(StringValue);
                writer.WriteTextString(value.AsString());
                break;
        }
    }

    public static List<(Lwm2mPath Path, Lwm2mValue? Value)> Decode(ReadOnlyMemory<byte> payload, DecodeLimits limits, bool namesOnly)
    {
        var result = new List<(Lwm2mPath, Lwm2mValue?)>();
        var reader = new CborReader(payload, CborConformanceMode.Lax);
        try
        {
            if (reader.PeekState() != CborReaderState.StartArray)
            {
                throw new Lwm2mFormatException("SenML CBOR must be an array of records.");
            }

            int? count = reader.ReadStartArray();
            if (count > limits.MaxRecords)
            {
                throw new Lwm2mFormatException($"SenML payload holds more than {limits.MaxRecords} records.");
            }

            string baseName = string.Empty;
            while (reader.PeekState() != CborReaderState.EndArray)
            {
                if (reader.PeekState() != CborReaderState.StartMap)
                {
                    throw new Lwm2mFormatException("SenML CBOR array holds a non-map.");
                }

                if (result.Count >= limits.MaxRecords)
                {
                    throw new Lwm2mFormatException($"SenML payload holds more than {limits.MaxRecords} records.");
                }

                reader.ReadStartMap();
                string? name = null;
                Lwm2mValue? value = null;
                while (reader.PeekState() != CborReaderState.EndMap)
                {
                    object label = reader.PeekState() switch
                    {
                        CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => reader.ReadInt32(),
                        CborReaderState.TextString => reader.ReadTextString(),
                        _ => throw new Lwm2mFormatException("SenML CBOR label must be an integer or text."),
                    };
                    var state = reader.PeekState();
                    if (state is CborReaderState.StartArray or CborReaderState.StartMap or CborReaderState.Tag)
                    {
                        throw new Lwm2mFormatException($"SenML CBOR field {label} is nested; values are scalars.");
                    }

                    switch (label)
                    {
                        case BaseName:
                            baseName = reader.ReadTextString();
                            break;
                        case Name:
                            name = reader.ReadTextString();
                            break;
                        case Value:
                            value = ReadNumber(reader, state);
                            break;
                        case StringValue:
                            value = Lwm2mValue.FromString(reader.ReadTextString());
                            break;
                        case BooleanValue:
                            value = Lwm2mValue.FromBoolean(reader.ReadBoolean());
                            break;
                        case DataValue:
                            value = Lwm2mValue.FromOpaque(reader.ReadByteString());
                            break;
                        case "vlo":
                            value = ObjectLink.TryParse(reader.ReadTextString(), out var link) ? Lwm2mValue.FromObjectLink(link) : throw new Lwm2mFormatException("SenML vlo must be 'object:instance'.");
                            break;
                        case string s when s.EndsWith('_'):
                            throw new Lwm2mFormatException($"SenML must-understand field '{SenmlNaming.Truncate(s)}' is not supported.");
                        case int i when i < -16 || i > 8:
                            throw new Lwm2mFormatException($"SenML CBOR label {i} is unknown.");
                        default:
                            reader.SkipValue();
                            break;
                    }
                }

                reader.ReadEndMap();
                if (value is null && !namesOnly)
                {
                    throw new Lwm2mFormatException("SenML record has no value (v, vs, vb, vd or vlo).");
                }

                result.Add((SenmlNaming.ParseName(baseName, name), value));
            }

            reader.ReadEndArray();
            if (reader.BytesRemaining != 0)
            {
                throw new Lwm2mFormatException("SenML CBOR has data after the array.");
            }
        }
        catch (CborContentException ex)
        {
            throw new Lwm2mFormatException("SenML CBOR malformed: " + ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new Lwm2mFormatException("SenML CBOR malformed: " + ex.Message, ex);
        }
        catch (OverflowException ex)
        {
            throw new Lwm2mFormatException("SenML CBOR number out of range: " + ex.Message, ex);
        }

        return result;
    }

    private static Lwm2mValue ReadNumber(CborReader reader, CborReaderState state)
    {
        switch (state)
        {
            case CborReaderState.UnsignedInteger:
                ulong u = reader.ReadUInt64();
                return u <= long.MaxValue ? Lwm2mValue.FromInteger((long)u) : Lwm2mValue.FromUnsignedInteger(u);
            case CborReaderState.NegativeInteger:
                return Lwm2mValue.FromInteger(reader.ReadInt64());
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                double d = reader.ReadDouble();
                return double.IsFinite(d) ? Lwm2mValue.FromFloat(d) : throw new Lwm2mFormatException("SenML v is not a finite number.");
            default:
                throw new Lwm2mFormatException("SenML v must be a number.");
        }
    }
}
