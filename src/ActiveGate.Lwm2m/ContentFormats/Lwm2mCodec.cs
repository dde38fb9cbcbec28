using System.Buffers;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>
/// Chooses, encodes and decodes LwM2M payloads. Negotiation follows Core TS 7.3: an Accept the
/// client cannot produce is 4.06, a Content-Format it cannot read is 4.15, a payload it cannot
/// parse is 4.00 with the reason (<see cref="Lwm2mFormatException"/>).
/// </summary>
public sealed class Lwm2mCodec
{
    private readonly IResourceDefinitionProvider _definitions;

    public Lwm2mCodec(IResourceDefinitionProvider definitions, DecodeLimits? limits = null, ushort preferredFormat = Lwm2mContentFormat.SenmlJson)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        _definitions = definitions;
        Limits = limits ?? DecodeLimits.Default;
        if (!CanEncode(preferredFormat) || preferredFormat is Lwm2mContentFormat.PlainText or Lwm2mContentFormat.Opaque)
        {
            throw new ArgumentOutOfRangeException(nameof(preferredFormat), preferredFormat, "The preferred format must carry many values (TLV, SenML JSON, SenML CBOR).");
        }

        PreferredFormat = preferredFormat;
    }

    public DecodeLimits Limits { get; }

    /// <summary>Format for multi-value responses when the server sends no Accept.</summary>
    public ushort PreferredFormat { get; }

    public static bool CanEncode(ushort format) => format is Lwm2mContentFormat.PlainText or Lwm2mContentFormat.Opaque or Lwm2mContentFormat.Tlv
        or Lwm2mContentFormat.LegacyTlv or Lwm2mContentFormat.SenmlJson or Lwm2mContentFormat.SenmlCbor;

    public static bool CanDecode(ushort format) => CanEncode(format);

    /// <summary>Picks the response format for a Read/Observe result.</summary>
    public ushort SelectFormat(Lwm2mPath path, IReadOnlyList<Lwm2mRecord> records, ushort? accept)
    {
        ArgumentNullException.ThrowIfNull(records);
        bool singleValue = records.Count == 1 && (path.IsResourceInstance || (path.IsResource && records[0].Path == path));
        if (accept is ushort wanted)
        {
            if (!CanEncode(wanted))
            {
                throw new Lwm2mException(Lwm2mStatus.NotAcceptable, $"Content-Format {wanted} is not supported.");
            }

            if (wanted == Lwm2mContentFormat.PlainText && !singleValue)
            {
                throw new Lwm2mException(Lwm2mStatus.NotAcceptable, "text/plain carries one single value only.");
            }

            if (wanted == Lwm2mContentFormat.Opaque && !(singleValue && records[0].Value.Type == ResourceType.Opaque))
            {
                throw new Lwm2mException(Lwm2mStatus.NotAcceptable, "application/octet-stream carries one opaque value only.");
            }

            return wanted;
        }

        if (singleValue)
        {
            return records[0].Value.Type == ResourceType.Opaque ? Lwm2mContentFormat.Opaque : Lwm2mContentFormat.PlainText;
        }

        return PreferredFormat;
    }

    public void Encode(ushort format, Lwm2mPath path, IReadOnlyList<Lwm2mRecord> records, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(output);
        switch (format)
        {
            case Lwm2mContentFormat.PlainText:
                PlainTextFormat.Encode(records[0].Value, output);
                break;
            case Lwm2mContentFormat.Opaque:
                output.Write(records[0].Value.AsOpaque().Span);
                break;
            case Lwm2mContentFormat.Tlv:
            case Lwm2mContentFormat.LegacyTlv:
                TlvFormat.Encode(path, records, _definitions, output);
                break;
            case Lwm2mContentFormat.SenmlJson:
                SenmlJsonFormat.Encode(path, records, output);
                break;
            case Lwm2mContentFormat.SenmlCbor:
                SenmlCborFormat.Encode(path, records, output);
                break;
            default:
                throw new Lwm2mException(Lwm2mStatus.NotAcceptable, $"Content-Format {format} is not supported.");
        }
    }

    /// <summary>Encodes records named by absolute paths (Send, composite read/notify). SenML only.</summary>
    public void EncodeComposite(ushort format, IReadOnlyList<Lwm2mRecord> records, IBufferWriter<byte> output, long? baseTime = null)
    {
        switch (format)
        {
            case Lwm2mContentFormat.SenmlJson:
                SenmlJsonFormat.EncodeAbsolute(records, output, baseTime);
                break;
            case Lwm2mContentFormat.SenmlCbor:
                SenmlCborFormat.Encode(Lwm2mPath.Root, records, output, absoluteNames: true, baseTime);
                break;
            default:
                throw new Lwm2mException(Lwm2mStatus.NotAcceptable, "Composite operations use SenML JSON or SenML CBOR.");
        }
    }

    /// <summary>Decodes a Write/Create payload aimed at <paramref name="path"/>; every record lies below it.</summary>
    public List<Lwm2mRecord> Decode(ushort format, ReadOnlyMemory<byte> payload, Lwm2mPath path, int? newInstanceId = null)
    {
        if (!CanDecode(format))
        {
            throw new Lwm2mException(Lwm2mStatus.UnsupportedContentFormat, $"Content-Format {format} is not supported.");
        }

        CheckSize(payload.Length);
        switch (format)
        {
            case Lwm2mContentFormat.PlainText:
            case Lwm2mContentFormat.Opaque:
                var def = SingleValueTarget(path, format);
                var value = format == Lwm2mContentFormat.Opaque
                    ? Lwm2mValue.FromOpaque(payload.Span)
                    : PlainTextFormat.Decode(payload.Span, def.Type);
                return [new Lwm2mRecord(path, value)];
            case Lwm2mContentFormat.Tlv:
            case Lwm2mContentFormat.LegacyTlv:
                return TlvFormat.Decode(payload.Span, path, _definitions, Limits, newInstanceId);
            default:
                var decoded = format == Lwm2mContentFormat.SenmlJson
                    ? SenmlJsonFormat.Decode(payload.Span, Limits, namesOnly: false)
                    : SenmlCborFormat.Decode(payload, Limits, namesOnly: false);
                var records = new List<Lwm2mRecord>(decoded.Count);
                foreach (var (p, v) in decoded)
                {
                    if (!path.IsPrefixOf(p))
                    {
                        throw new Lwm2mFormatException($"SenML record {p} is outside the target {path}.");
                    }

                    records.Add(new Lwm2mRecord(p, v!.Value));
                }

                return records;
        }
    }

    /// <summary>Decodes a composite Write (iPATCH) or Send payload: records with absolute names.</summary>
    public List<Lwm2mRecord> DecodeComposite(ushort format, ReadOnlyMemory<byte> payload)
    {
        var decoded = DecodeSenml(format, payload, namesOnly: false);
        return decoded.Select(d => new Lwm2mRecord(d.Path, d.Value!.Value)).ToList();
    }

    /// <summary>Decodes the path list of a composite Read/Observe (FETCH): SenML records with names only.</summary>
    public List<Lwm2mPath> DecodePaths(ushort format, ReadOnlyMemory<byte> payload) =>
        DecodeSenml(format, payload, namesOnly: true).Select(d => d.Path).ToList();

    private List<(Lwm2mPath Path, Lwm2mValue? Value)> DecodeSenml(ushort format, ReadOnlyMemory<byte> payload, bool namesOnly)
    {
        CheckSize(payload.Length);
        return format switch
        {
            Lwm2mContentFormat.SenmlJson => SenmlJsonFormat.Decode(payload.Span, Limits, namesOnly),
            Lwm2mContentFormat.SenmlCbor => SenmlCborFormat.Decode(payload, Limits, namesOnly),
            _ => throw new Lwm2mException(Lwm2mStatus.UnsupportedContentFormat, "Composite operations use SenML JSON or SenML CBOR."),
        };
    }

    private ResourceDefinition SingleValueTarget(Lwm2mPath path, ushort format)
    {
        if (path.Length < 3)
        {
            throw new Lwm2mFormatException($"Content-Format {format} carries a single resource value only.");
        }

        var def = _definitions.GetObject(path.ObjectId)?.GetResource(path.ResourceId)
            ?? throw new Lwm2mException(Lwm2mStatus.NotFound, $"{path} not found.");
        if (def.Multiple && path.IsResource)
        {
            throw new Lwm2mFormatException($"{path} is a multiple resource; Content-Format {format} carries one value.");
        }

        if (format == Lwm2mContentFormat.Opaque && def.Type != ResourceType.Opaque)
        {
            throw new Lwm2mException(Lwm2mStatus.UnsupportedContentFormat, $"{path} is {def.Type}; octet-stream is for opaque resources.");
        }

        return def;
    }

    private void CheckSize(int length)
    {
        if (length > Limits.MaxPayloadBytes)
        {
            throw new Lwm2mFormatException($"Payload of {length} bytes exceeds the {Limits.MaxPayloadBytes}-byte limit.");
        }
    }
}
