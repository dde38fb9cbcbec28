using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>
/// OMA-TLV (Core TS 7.4.3, content format 11542).
/// <code>
///  Type byte:
///    7 6   5   4 3   2 1 0
///   +---+----+-----+-------+
///   |IdT|IdL | LnT |  Len  |   IdT: 00 object instance, 01 resource instance,
///   +---+----+-----+-------+        10 multiple resource, 11 resource with value
///   IdL: 0 = 8-bit id, 1 = 16-bit id
///   LnT: 00 = length in Len bits, 01/10/11 = 8/16/24-bit length field follows the id
///  then: Identifier (1|2 bytes) · Length (0-3 bytes) · Value (Length bytes), all big-endian
/// </code>
/// Values: integers and times as 1/2/4/8-byte two's complement, unsigned as 1/2/4/8 bytes,
/// floats as 4/8-byte IEEE 754, booleans as one byte, object links as two 16-bit ids.
/// </summary>
internal static class TlvFormat
{
    private const int ObjectInstance = 0b00;
    private const int ResourceInstance = 0b01;
    private const int MultipleResource = 0b10;
    private const int ResourceValue = 0b11;
    private const int MaxLength = 0xFFFFFF;

    public static void Encode(Lwm2mPath requestPath, IReadOnlyList<Lwm2mRecord> records, IResourceDefinitionProvider definitions, IBufferWriter<byte> output)
    {
        // Build the nested body bottom-up in a scratch buffer; TLV needs lengths before contents.
        var writer = new ArrayBufferWriter<byte>(256);
        int index = 0;
        switch (requestPath.Length)
        {
            case 1:
                while (index < records.Count)
                {
                    int instanceId = records[index].Path.InstanceId;
                    var inner = new ArrayBufferWriter<byte>(128);
                    int start = index;
                    while (index < records.Count && records[index].Path.InstanceId == instanceId)
                    {
                        index++;
                    }

                    EncodeResources(records, start, index, definitions, inner);
                    WriteHeader(writer, ObjectInstance, instanceId, inner.WrittenCount);
                    writer.Write(inner.WrittenSpan);
                }

                break;
            case 2:
                EncodeResources(records, 0, records.Count, definitions, writer);
                break;
            case 3:
                EncodeResources(records, 0, records.Count, definitions, writer);
                break;
            case 4:
                foreach (var record in records)
                {
                    WriteValue(writer, ResourceInstance, record.Path.ResourceInstanceId, record.Value);
                }

                break;
            default:
                throw new Lwm2mException(Lwm2mStatus.NotAcceptable, "TLV cannot encode the root.");
        }

        output.Write(writer.WrittenSpan);
    }

    private static void EncodeResources(IReadOnlyList<Lwm2mRecord> records, int start, int end, IResourceDefinitionProvider definitions, ArrayBufferWriter<byte> writer)
    {
        int i = start;
        while (i < end)
        {
            var path = records[i].Path;
            bool multiple = path.IsResourceInstance
                || (definitions.GetObject(path.ObjectId)?.GetResource(path.ResourceId)?.Multiple ?? false);
            if (!multiple)
            {
                WriteValue(writer, ResourceValue, path.ResourceId, records[i].Value);
                i++;
                continue;
            }

            var inner = new ArrayBufferWriter<byte>(64);
            int resourceId = path.ResourceId;
            while (i < end && records[i].Path.InstanceId == path.InstanceId && records[i].Path.ResourceId == resourceId)
            {
                WriteValue(inner, ResourceInstance, records[i].Path.ResourceInstanceId, records[i].Value);
                i++;
            }

            WriteHeader(writer, MultipleResource, resourceId, inner.WrittenCount);
            writer.Write(inner.WrittenSpan);
        }
    }

    private static void WriteValue(IBufferWriter<byte> writer, int kind, int id, Lwm2mValue value)
    {
        Span<byte> scratch = stackalloc byte[8];
        scoped ReadOnlySpan<byte> bytes;
        byte[]? text = null;
        switch (value.Type)
        {
            case ResourceType.Integer:
            case ResourceType.Time:
                bytes = scratch[..WriteSigned(scratch, value.Type == ResourceType.Time ? value.AsUnixTime() : value.AsInteger())];
                break;
            case ResourceType.UnsignedInteger:
                bytes = scratch[..WriteUnsigned(scratch, value.AsUnsignedInteger())];
                break;
            case ResourceType.Float:
                double d = value.AsFloat();
                if ((double)(float)d == d || double.IsNaN(d))
                {
                    BinaryPrimitives.WriteSingleBigEndian(scratch, (float)d);
                    bytes = scratch[..4];
                }
                else
                {
                    BinaryPrimitives.WriteDoubleBigEndian(scratch, d);
                    bytes = scratch[..8];
                }

                break;
            case ResourceType.Boolean:
                scratch[0] = value.AsBoolean() ? (byte)1 : (byte)0;
                bytes = scratch[..1];
                break;
            case ResourceType.ObjectLink:
                var link = value.AsObjectLink();
                BinaryPrimitives.WriteUInt16BigEndian(scratch, link.ObjectId);
                BinaryPrimitives.WriteUInt16BigEndian(scratch[2..], link.InstanceId);
                bytes = scratch[..4];
                break;
            case ResourceType.Opaque:
                bytes = value.AsOpaque().Span;
                break;
            case ResourceType.String:
            case ResourceType.CoreLink:
                text = Encoding.UTF8.GetBytes(value.AsString());
                bytes = text;
                break;
            default:
                bytes = [];
                break;
        }

        WriteHeader(writer, kind, id, bytes.Length);
        writer.Write(bytes);
    }

    private static int WriteSigned(Span<byte> destination, long v)
    {
        if (v is >= sbyte.MinValue and <= sbyte.MaxValue)
        {
            destination[0] = unchecked((byte)(sbyte)v);
            return 1;
        }

        if (v is >= short.MinValue and <= short.MaxValue)
        {
            BinaryPrimitives.WriteInt16BigEndian(destination, (short)v);
            return 2;
        }

        if (v is >= int.MinValue and <= int.MaxValue)
        {
            BinaryPrimitives.WriteInt32BigEndian(destination, (int)v);
            return 4;
        }

        BinaryPrimitives.WriteInt64BigEndian(destination, v);
        return 8;
    }

    private static int WriteUnsigned(Span<byte> destination, ulong v)
    {
        if (v <= byte.MaxValue)
        {
            destination[0] = (byte)v;
            return 1;
        }

        if (v <= ushort.MaxValue)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)v);
            return 2;
        }

        if (v <= uint.MaxValue)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)v);
            return 4;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, v);
        return 8;
    }

    private static void WriteHeader(IBufferWriter<byte> writer, int kind, int id, int length)
    {
        if (length > MaxLength)
        {
            throw new Lwm2mException(Lwm2mStatus.InternalServerError, "Value too long for TLV.");
        }

        var span = writer.GetSpan(6);
        int n = 1;
        int type = kind << 6;
        if (id > 0xFF)
        {
            type |= 0x20;
            BinaryPrimitives.WriteUInt16BigEndian(span[n..], (ushort)id);
            n += 2;
        }
        else
        {
            span[n++] = (byte)id;
        }

        if (length < 8)
        {
            type |= length;
        }
        else if (length <= 0xFF)
        {
            type |= 0x08;
            span[n++] = (byte)length;
        }
        else if (length <= 0xFFFF)
        {
            type |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(span[n..], (ushort)length);
            n += 2;
        }
        else
        {
            type |= 0x18;
            span[n++] = (byte)(length >> 16);
            span[n++] = (byte)(length >> 8);
            span[n++] = (byte)length;
        }

        span[0] = (byte)type;
        writer.Advance(n);
    }

    /// <summary>
    /// Decodes a TLV payload written to <paramref name="requestPath"/>. At object level bare resources
    /// (a Create without an instance wrapper) go to <paramref name="newInstanceId"/>.
    /// </summary>
    public static List<Lwm2mRecord> Decode(ReadOnlySpan<byte> payload, Lwm2mPath requestPath, IResourceDefinitionProvider definitions, DecodeLimits limits, int? newInstanceId)
    {
        var records = new List<Lwm2mRecord>();
        if (requestPath.IsRoot)
        {
            throw new Lwm2mFormatException("TLV needs an object, instance or resource path.");
        }

        var objectDef = definitions.GetObject(requestPath.ObjectId);
        int offset = 0;
        while (offset < payload.Length)
        {
            var entry = ReadEntry(payload, ref offset);
            switch (requestPath.Length)
            {
                case 1:
                    if (entry.Kind == ObjectInstance)
                    {
                        DecodeResources(entry.Value, new Lwm2mPath(requestPath.ObjectId, entry.Id), objectDef, records, limits);
                    }
                    else if (entry.Kind is ResourceValue or MultipleResource && newInstanceId is int id)
                    {
                        DecodeResource(entry, new Lwm2mPath(requestPath.ObjectId, id), objectDef, records, limits);
                    }
                    else
                    {
                        throw new Lwm2mFormatException("TLV at object level must hold object instances.");
                    }

                    break;
                case 2:
                    if (entry.Kind == ObjectInstance)
                    {
                        // Leshan and others wrap an instance write in its object-instance TLV.
                        if (entry.Id != requestPath.InstanceId)
                        {
                            throw new Lwm2mFormatException($"TLV object instance {entry.Id} does not match {requestPath}.");
                        }

                        DecodeResources(entry.Value, requestPath, objectDef, records, limits);
                    }
                    else
                    {
                        DecodeResource(entry, requestPath, objectDef, records, limits);
                    }

                    break;
                case 3:
                    if (entry.Kind == ResourceInstance)
                    {
                        AddValue(records, requestPath.Append(entry.Id), entry.Value, TypeOf(objectDef, requestPath.ResourceId), limits);
                    }
                    else if (entry.Id == requestPath.ResourceId && entry.Kind is ResourceValue or MultipleResource)
                    {
                        DecodeResource(entry, requestPath.Parent, objectDef, records, limits);
                    }
                    else
                    {
                        throw new Lwm2mFormatException($"TLV resource {entry.Id} does not match {requestPath}.");
                    }

                    break;
                default:
                    if (entry.Kind != ResourceInstance || entry.Id != requestPath.ResourceInstanceId)
                    {
                        throw new Lwm2mFormatException($"TLV entry does not match {requestPath}.");
                    }

                    AddValue(records, requestPath, entry.Value, TypeOf(objectDef, requestPath.ResourceId), limits);
                    break;
            }
        }

        return records;
    }

    private static void DecodeResources(ReadOnlySpan<byte> payload, Lwm2mPath instancePath, ObjectDefinition? objectDef, List<Lwm2mRecord> records, DecodeLimits limits)
    {
        int offset = 0;
        while (offset < payload.Length)
        {
            var entry = ReadEntry(payload, ref offset);
            if (entry.Kind is ObjectInstance or ResourceInstance)
            {
                throw new Lwm2mFormatException("TLV object instance must hold resources.");
            }

            DecodeResource(entry, instancePath, objectDef, records, limits);
        }
    }

    private static void DecodeResource(Entry entry, Lwm2mPath instancePath, ObjectDefinition? objectDef, List<Lwm2mRecord> records, DecodeLimits limits)
    {
        var resourcePath = instancePath.Append(entry.Id);
        var type = TypeOf(objectDef, entry.Id);
        if (entry.Kind == ResourceValue)
        {
            AddValue(records, resourcePath, entry.Value, type, limits);
            return;
        }

        if (entry.Kind != MultipleResource)
        {
            throw new Lwm2mFormatException("TLV: a resource was expected.");
        }

        int offset = 0;
        var inner = entry.Value;
        while (offset < inner.Length)
        {
            var item = ReadEntry(inner, ref offset);
            if (item.Kind != ResourceInstance)
            {
                throw new Lwm2mFormatException("TLV multiple resource may hold resource instances only (nested too deep).");
            }

            AddValue(records, resourcePath.Append(item.Id), item.Value, type, limits);
        }
    }

    private static ResourceType TypeOf(ObjectDefinition? objectDef, int resourceId) =>
        objectDef?.GetResource(resourceId)?.Type ?? ResourceType.Opaque;

    private static void AddValue(List<Lwm2mRecord> records, Lwm2mPath path, ReadOnlySpan<byte> value, ResourceType type, DecodeLimits limits)
    {
        if (records.Count >= limits.MaxRecords)
        {
            throw new Lwm2mFormatException($"TLV payload holds more than {limits.MaxRecords} values.");
        }

        records.Add(new Lwm2mRecord(path, DecodeValue(value, type, path)));
    }

    internal static Lwm2mValue DecodeValue(ReadOnlySpan<byte> value, ResourceType type, Lwm2mPath path)
    {
        switch (type)
        {
            case ResourceType.Integer:
            case ResourceType.Time:
                long l = value.Length switch
                {
                    1 => (sbyte)value[0],
                    2 => BinaryPrimitives.ReadInt16BigEndian(value),
                    4 => BinaryPrimitives.ReadInt32BigEndian(value),
                    8 => BinaryPrimitives.ReadInt64BigEndian(value),
                    _ => throw new Lwm2mFormatException($"{path}: a TLV integer has 1, 2, 4 or 8 bytes, not {value.Length}."),
                };
                return type == ResourceType.Time ? Lwm2mValue.FromUnixTime(l) : Lwm2mValue.FromInteger(l);
            case ResourceType.UnsignedInteger:
                ulong u = value.Length switch
                {
                    1 => value[0],
                    2 => BinaryPrimitives.ReadUInt16BigEndian(value),
                    4 => BinaryPrimitives.ReadUInt32BigEndian(value),
                    8 => BinaryPrimitives.ReadUInt64BigEndian(value),
                    _ => throw new Lwm2mFormatException($"{path}: a TLV unsigned integer has 1, 2, 4 or 8 bytes, not {value.Length}."),
                };
                return Lwm2mValue.FromUnsignedInteger(u);
            case ResourceType.Float:
                return value.Length switch
                {
                    4 => Lwm2mValue.FromFloat(BinaryPrimitives.ReadSingleBigEndian(value)),
                    8 => Lwm2mValue.FromFloat(BinaryPrimitives.ReadDoubleBigEndian(value)),
                    _ => throw new Lwm2mFormatException($"{path}: a TLV float has 4 or 8 bytes, not {value.Length}."),
                };
            case ResourceType.Boolean:
                if (value.Length != 1 || value[0] > 1)
                {
                    throw new Lwm2mFormatException($"{path}: a TLV boolean is one byte 0 or 1.");
                }

                return Lwm2mValue.FromBoolean(value[0] == 1);
            case ResourceType.ObjectLink:
                if (value.Length != 4)
                {
                    throw new Lwm2mFormatException($"{path}: a TLV object link has 4 bytes.");
                }

                return Lwm2mValue.FromObjectLink(new ObjectLink(BinaryPrimitives.ReadUInt16BigEndian(value), BinaryPrimitives.ReadUInt16BigEndian(value[2..])));
            case ResourceType.String:
            case ResourceType.CoreLink:
                string s;
                try
                {
                    s = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
                }
                catch (DecoderFallbackException ex)
                {
                    throw new Lwm2mFormatException($"{path}: string is not valid UTF-8.", ex);
                }

                return type == ResourceType.String ? Lwm2mValue.FromString(s) : Lwm2mValue.FromCoreLink(s);
            default:
                return Lwm2mValue.FromOpaque(value);
        }
    }

    private readonly ref struct Entry(int kind, int id, ReadOnlySpan<byte> value)
    {
        public int Kind { get; } = kind;
        public int Id { get; } = id;
        public ReadOnlySpan<byte> Value { get; } = value;
    }

    private static Entry ReadEntry(ReadOnlySpan<byte> data, ref int offset)
    {
        int start = offset;
        if (data.Length - offset < 2)
        {
            throw new Lwm2mFormatException($"TLV truncated at byte {start}.");
        }

        byte type = data[offset++];
        int kind = type >> 6;
        int idLength = (type & 0x20) != 0 ? 2 : 1;
        int lengthType = (type >> 3) & 0x03;
        if (data.Length - offset < idLength + lengthType)
        {
            throw new Lwm2mFormatException($"TLV header truncated at byte {start}.");
        }

        int id = idLength == 2 ? BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) : data[offset];
        offset += idLength;
        if (id > Lwm2mPath.MaxId)
        {
            throw new Lwm2mFormatException($"TLV id {id} at byte {start} is reserved.");
        }

        int length = lengthType switch
        {
            0 => type & 0x07,
            1 => data[offset],
            2 => BinaryPrimitives.ReadUInt16BigEndian(data[offset..]),
            _ => (data[offset] << 16) | (data[offset + 1] << 8) | data[offset + 2],
        };
        offset += lengthType;
        if (length > data.Length - offset)
        {
            throw new Lwm2mFormatException($"TLV length {length} at byte {start} runs past the payload.");
        }

        var value = data.Slice(offset, length);
        offset += length;
        return new Entry(kind, id, value);
    }
}
