using System.Buffers;
using System.Formats.Cbor;
using System.Text;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Tests.ContentFormats;

public sealed class ContentFormatTests
{
    private readonly TestModel _t = new();
    private readonly Lwm2mCodec _codec;

    public ContentFormatTests() => _codec = new Lwm2mCodec(_t.Model);

    private byte[] Encode(ushort format, string path, IReadOnlyList<Lwm2mRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>();
        _codec.Encode(format, Lwm2mPath.Parse(path), records, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static Lwm2mRecord R(string path, Lwm2mValue value) => new(Lwm2mPath.Parse(path), value);

    // Core TS 1.1 §7.4.3.1 example (Device object, single instance read of /3/0, first resources).
    private static readonly byte[] s_specTlv = Convert.FromHexString(
        "C800144F70656E204D6F62696C6520416C6C69616E6365" +
        "C801164C69676874776569676874204D324D20436C69656E74" +
        "86064100014101 05".Replace(" ", "") +
        "C10964");

    [Fact]
    public void TLV_decodes_the_spec_example()
    {
        var records = _codec.Decode(Lwm2mContentFormat.Tlv, s_specTlv, Lwm2mPath.Parse("/3/0"));
        Assert.Equal(5, records.Count);
        Assert.Equal(R("/3/0/0", Lwm2mValue.FromString("Open Mobile Alliance")), records[0]);
        Assert.Equal(R("/3/0/1", Lwm2mValue.FromString("Lightweight M2M Client")), records[1]);
        Assert.Equal(R("/3/0/6/0", Lwm2mValue.FromInteger(1)), records[2]);
        Assert.Equal(R("/3/0/6/1", Lwm2mValue.FromInteger(5)), records[3]);
        Assert.Equal(R("/3/0/9", Lwm2mValue.FromInteger(100)), records[4]);
    }

    [Fact]
    public void TLV_encodes_the_spec_example_byte_for_byte()
    {
        var records = _codec.Decode(Lwm2mContentFormat.Tlv, s_specTlv, Lwm2mPath.Parse("/3/0"));
        Assert.Equal(Convert.ToHexString(s_specTlv), Convert.ToHexString(Encode(Lwm2mContentFormat.Tlv, "/3/0", records)));
    }

    [Fact]
    public void TLV_object_level_wraps_instances_and_long_lengths_and_ids_work()
    {
        string longText = new('x', 300);
        var records = new[] { R("/1/0/0", Lwm2mValue.FromInteger(1)), R("/1/300/0", Lwm2mValue.FromInteger(-40000)), R("/1/300/22", Lwm2mValue.FromString(longText)) };
        var bytes = Encode(Lwm2mContentFormat.Tlv, "/1", records);
        Assert.Equal(0x03, bytes[0]);           // object instance, 8-bit id, length 3
        Assert.Equal(0x30, bytes[5]);           // object instance, 16-bit id, 16-bit length
        var back = _codec.Decode(Lwm2mContentFormat.Tlv, bytes, Lwm2mPath.Parse("/1"));
        Assert.Equal(records, back);
    }

    public static TheoryData<string, string> MalformedTlv => new()
    {
        { "C8", "truncated" },
        { "C80514414243", "past the payload" },
        { "C3 09 646464", "integer has" },   // /3/0/9 integer of 3 bytes
        { "C1 10 02", "boolean" },          // not in /3 as boolean, treat below with /1
        { "86 06 C1 00 01 41 01 05", "resource instances only" },
        { "C8 00 02 C3 28", "UTF-8" },
    };

    [Theory]
    [MemberData(nameof(MalformedTlv))]
    public void TLV_rejects_malformed_input_with_a_reason(string hex, string reason)
    {
        var path = reason == "boolean" ? "/1/0" : "/3/0";
        hex = reason == "boolean" ? "C1 06 02" : hex;
        var ex = Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.Tlv, Convert.FromHexString(hex.Replace(" ", "")), Lwm2mPath.Parse(path)));
        Assert.Contains(reason, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SenML_JSON_reads_like_the_spec()
    {
        var records = new[] { R("/3/0/0", Lwm2mValue.FromString("Open Mobile Alliance")), R("/3/0/6/0", Lwm2mValue.FromInteger(1)), R("/3/0/13", Lwm2mValue.FromUnixTime(1367491215)), R("/3/0/15", Lwm2mValue.FromString("Europe/Paris")), R("/3/0/14", Lwm2mValue.FromString("+02:00")) };
        string json = Encoding.UTF8.GetString(Encode(Lwm2mContentFormat.SenmlJson, "/3/0", records));
        Assert.Equal("""[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"6/0","v":1},{"n":"13","v":1367491215},{"n":"15","vs":"Europe/Paris"},{"n":"14","vs":"+02:00"}]""", json);
    }

    public static TheoryData<Lwm2mValue, string> AllTypes => new()
    {
        { Lwm2mValue.FromString("héllo \"q\""), "/3/0/15" },
        { Lwm2mValue.FromInteger(-9_000_000_000), "/1/0/1" },
        { Lwm2mValue.FromUnsignedInteger(ulong.MaxValue), "/1/0/11" },
        { Lwm2mValue.FromFloat(3.25), "/3305/0/5800" },
        { Lwm2mValue.FromFloat(0.1), "/3305/0/5800" },
        { Lwm2mValue.FromBoolean(true), "/1/0/6" },
        { Lwm2mValue.FromOpaque([0, 1, 254, 255, 62, 63]), "/0/0/5" },
        { Lwm2mValue.FromUnixTime(1_700_000_000), "/3/0/13" },
        { Lwm2mValue.FromObjectLink(new ObjectLink(3, 0)), "/1/0/10" },
    };

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Every_type_round_trips_through_every_format(Lwm2mValue value, string path)
    {
        var codec = new Lwm2mCodec(new ObjectDefinitionSet([.. _t.Model.Objects.Select(o => o.Definition), Float3305()]));
        var record = R(path, value);
        foreach (var format in new ushort[] { Lwm2mContentFormat.Tlv, Lwm2mContentFormat.SenmlJson, Lwm2mContentFormat.SenmlCbor, Lwm2mContentFormat.PlainText })
        {
            var buffer = new ArrayBufferWriter<byte>();
            codec.Encode(format, record.Path, [record], buffer);
            var back = Assert.Single(codec.Decode(format, buffer.WrittenMemory.ToArray(), record.Path));
            Assert.Equal(record.Path, back.Path);
            Assert.True(back.Value.TryConvertTo(value.Type, out var typed), $"{format}: {back.Value.Type}");
            Assert.Equal(value, typed);
        }
    }

    private static ObjectDefinition Float3305() => new(3305, "t", "", "1.0", "1.0", true, false,
        [new ResourceDefinition(5800, "Instantaneous active power", ResourceOperations.Read, false, true, ResourceType.Float, "", "W")]);

    [Fact]
    public void SenML_CBOR_uses_integer_labels()
    {
        var bytes = Encode(Lwm2mContentFormat.SenmlCbor, "/3/0/9", [R("/3/0/9", Lwm2mValue.FromInteger(87))]);
        var reader = new CborReader(bytes);
        Assert.Equal(1, reader.ReadStartArray());
        Assert.Equal(3, reader.ReadStartMap());
        Assert.Equal(-2, reader.ReadInt32());
        Assert.Equal("/3/0/", reader.ReadTextString());
        Assert.Equal(0, reader.ReadInt32());
        Assert.Equal("9", reader.ReadTextString());
        Assert.Equal(2, reader.ReadInt32());
        Assert.Equal(87, reader.ReadInt32());
    }

    public static TheoryData<string, string> MalformedSenmlJson => new()
    {
        { """{"n":"/3/0/1"}""", "array" },
        { """[{"n":"/3/0/1","v":[1]}]""", "nested" },
        { """[[[[[[[[1]]]]]]]]""", "non-object" },
        { """[{"bn":"/3/0/","n":"1"}]""", "no value" },
        { """[{"n":"/3/0/x","v":1}]""", "not an LwM2M path" },
        { """[{"n":"/3/0/1","vs":"a"}""", "malformed" },
        { """[{"n":"/3/0/1","vb":1}]""", "boolean" },
        { """[{"n":"/3/0/1","vd":"@@@"}]""", "base64" },
        { """[{"n":"/3/0/1","v":1,"foo_":2}]""", "must-understand" },
        { """[{"n":"/3/0/1","v":1}] x""", "malformed" },
    };

    [Theory]
    [MemberData(nameof(MalformedSenmlJson))]
    public void SenML_JSON_rejects_malformed_input_with_a_reason(string json, string reason)
    {
        var ex = Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.SenmlJson, Encoding.UTF8.GetBytes(json), Lwm2mPath.Root));
        Assert.Contains(reason, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Deep_nesting_is_stopped_by_the_depth_limit()
    {
        string deep = new string('[', 5000) + new string(']', 5000);
        Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.SenmlJson, Encoding.UTF8.GetBytes(deep), Lwm2mPath.Root));
        string deepValue = "[{\"n\":\"/3/0/1\",\"v\":" + new string('[', 100) + new string(']', 100) + "}]";
        Assert.Contains("nested", Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.SenmlJson, Encoding.UTF8.GetBytes(deepValue), Lwm2mPath.Root)).Message, StringComparison.Ordinal);
        var cbor = new byte[2000];
        cbor.AsSpan().Fill(0x81);   // array(1) of array(1) of ...
        Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.SenmlCbor, cbor, Lwm2mPath.Root));
    }

    [Fact]
    public void Huge_payloads_and_record_floods_are_refused()
    {
        var codec = new Lwm2mCodec(_t.Model, new DecodeLimits { MaxPayloadBytes = 1000, MaxRecords = 10 });
        Assert.Contains("limit", Assert.Throws<Lwm2mFormatException>(() => codec.Decode(Lwm2mContentFormat.SenmlJson, new byte[1001], Lwm2mPath.Root)).Message, StringComparison.Ordinal);
        string flood = "[" + string.Join(",", Enumerable.Range(0, 11).Select(i => $"{{\"n\":\"/3/0/11/{i}\",\"v\":1}}")) + "]";
        Assert.Contains("more than 10", Assert.Throws<Lwm2mFormatException>(() => codec.Decode(Lwm2mContentFormat.SenmlJson, Encoding.UTF8.GetBytes(flood), Lwm2mPath.Root)).Message, StringComparison.Ordinal);
        var tlv = Enumerable.Range(0, 11).SelectMany(i => new byte[] { 0x41, (byte)i, 1 }).ToArray();
        Assert.Throws<Lwm2mFormatException>(() => codec.Decode(Lwm2mContentFormat.Tlv, tlv, Lwm2mPath.Parse("/3/0/11")));
    }

    [Fact]
    public void Malformed_CBOR_is_a_format_error()
    {
        foreach (var hex in new[] { "A1", "81A1", "81A10063", "81A102F97E00", "8100", "81A1026161", "81A10281A102" })
        {
            Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.SenmlCbor, Convert.FromHexString(hex), Lwm2mPath.Root));
        }
    }

    [Fact]
    public void Negotiation_picks_text_for_single_values_and_refuses_impossible_accepts()
    {
        var single = new[] { R("/3/0/9", Lwm2mValue.FromInteger(1)) };
        var many = new[] { R("/3/0/0", Lwm2mValue.FromString("a")), R("/3/0/1", Lwm2mValue.FromString("b")) };
        Assert.Equal(Lwm2mContentFormat.PlainText, _codec.SelectFormat(Lwm2mPath.Parse("/3/0/9"), single, null));
        Assert.Equal(Lwm2mContentFormat.SenmlJson, _codec.SelectFormat(Lwm2mPath.Parse("/3/0"), many, null));
        Assert.Equal(Lwm2mContentFormat.Tlv, _codec.SelectFormat(Lwm2mPath.Parse("/3/0"), many, Lwm2mContentFormat.Tlv));
        Assert.Equal(Lwm2mStatus.NotAcceptable, Assert.Throws<Lwm2mException>(() => _codec.SelectFormat(Lwm2mPath.Parse("/3/0"), many, Lwm2mContentFormat.PlainText)).Status);
        Assert.Equal(Lwm2mStatus.NotAcceptable, Assert.Throws<Lwm2mException>(() => _codec.SelectFormat(Lwm2mPath.Parse("/3/0"), many, 50)).Status);
        Assert.Equal(Lwm2mStatus.NotAcceptable, Assert.Throws<Lwm2mException>(() => _codec.SelectFormat(Lwm2mPath.Parse("/3/0/9"), single, Lwm2mContentFormat.Opaque)).Status);
        Assert.Equal(Lwm2mStatus.UnsupportedContentFormat, Assert.Throws<Lwm2mException>(() => _codec.Decode(50, "{}"u8.ToArray(), Lwm2mPath.Parse("/1/0"))).Status);
    }

    [Fact]
    public void Plain_text_rejects_values_of_the_wrong_type()
    {
        Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.PlainText, "12x"u8.ToArray(), Lwm2mPath.Parse("/1/0/1")));
        Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.PlainText, "2"u8.ToArray(), Lwm2mPath.Parse("/1/0/6")));
        Assert.Throws<Lwm2mFormatException>(() => _codec.Decode(Lwm2mContentFormat.PlainText, "1"u8.ToArray(), Lwm2mPath.Parse("/3/0/11")));
        Assert.Equal(86400, _codec.Decode(Lwm2mContentFormat.PlainText, "86400"u8.ToArray(), Lwm2mPath.Parse("/1/0/1"))[0].Value.AsInteger());
    }

    [Fact]
    public void Composite_paths_and_absolute_records()
    {
        var paths = _codec.DecodePaths(Lwm2mContentFormat.SenmlJson, """[{"n":"/3/0/0"},{"n":"/1/0/1"}]"""u8.ToArray());
        Assert.Equal([Lwm2mPath.Parse("/3/0/0"), Lwm2mPath.Parse("/1/0/1")], paths);
        var buffer = new ArrayBufferWriter<byte>();
        var records = new[] { R("/3/0/9", Lwm2mValue.FromInteger(5)), R("/4/0/0", Lwm2mValue.FromInteger(41)) };
        _codec.EncodeComposite(Lwm2mContentFormat.SenmlCbor, records, buffer, baseTime: 1000);
        var back = _codec.DecodeComposite(Lwm2mContentFormat.SenmlCbor, buffer.WrittenMemory.ToArray());
        Assert.Equal(records, back);
    }
}
