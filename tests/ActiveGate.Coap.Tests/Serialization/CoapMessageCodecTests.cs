using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;

namespace ActiveGate.Coap.Tests.Serialization;

public sealed class CoapMessageCodecTests
{
    // RFC 7252 Appendix A, Figure 16: CON [0x7d34] GET /temperature, no token.
    private const string GetTemperatureHex = "40017D34BB74656D7065726174757265";

    // ... and its piggybacked answer: ACK [0x7d34] 2.05 "22.3 C".
    private const string ContentHex = "60457D34FF32322E332043";

    // Figure 17: the same with a one-byte token 0x20.
    private const string GetWithTokenHex = "41017D3420BB74656D7065726174757265";
    private const string ContentWithTokenHex = "61457D3420FF32322E332043";

    [Fact]
    public void Decodes_rfc7252_figure16_request()
    {
        CoapMessage message = CoapMessageCodec.Read(Convert.FromHexString(GetTemperatureHex));

        Assert.Equal(CoapMessageType.Confirmable, message.Type);
        Assert.Equal(CoapCode.Get, message.Code);
        Assert.Equal(0x7d34, message.MessageId);
        Assert.Equal(0, message.Token.Length);
        Assert.Equal("/temperature", message.UriPath);
        Assert.True(message.Payload.IsEmpty);
    }

    [Fact]
    public void Decodes_rfc7252_figure16_piggybacked_response()
    {
        CoapMessage message = CoapMessageCodec.Read(Convert.FromHexString(ContentHex));

        Assert.Equal(CoapMessageType.Acknowledgement, message.Type);
        Assert.Equal(CoapCode.Content, message.Code);
        Assert.Equal("22.3 C", message.PayloadAsString);
        Assert.Empty(message.Options);
    }

    [Theory]
    [InlineData(GetTemperatureHex)]
    [InlineData(ContentHex)]
    [InlineData(GetWithTokenHex)]
    [InlineData(ContentWithTokenHex)]
    public void Rfc_vectors_re_encode_byte_identically(string hex)
    {
        byte[] wire = Convert.FromHexString(hex);

        byte[] again = CoapMessageCodec.Encode(CoapMessageCodec.Read(wire));

        Assert.Equal(hex, Convert.ToHexString(again));
    }

    [Fact]
    public void Encodes_figure17_request_from_the_model()
    {
        var message = new CoapMessage
        {
            Type = CoapMessageType.Confirmable,
            Code = CoapCode.Get,
            MessageId = 0x7d34,
            Token = CoapToken.FromBytes([0x20]),
            UriPath = "/temperature",
        };

        Assert.Equal(GetWithTokenHex, Convert.ToHexString(CoapMessageCodec.Encode(message)));
    }

    [Theory]
    // Option 11 (Uri-Path) with 13-byte value: length nibble 13, extended length 0.
    [InlineData(11, 13, "BD00")]
    // Option 35 (Proxy-Uri): delta 35 = nibble 13 + 22.
    [InlineData(35, 1, "D116")]
    // Option 258 (No-Response): delta nibble 13 + 245.
    [InlineData(258, 1, "D1F5")]
    // Option 300: delta nibble 14 + two bytes (300 - 269 = 31).
    [InlineData(300, 1, "E1001F")]
    // Value of 300 bytes: length nibble 14 + 31.
    [InlineData(4, 300, "4E001F")]
    public void Encodes_extended_option_delta_and_length(int number, int valueLength, string expectedOptionHeaderHex)
    {
        var message = new CoapMessage { Code = CoapCode.Get, MessageId = 1 };
        message.Options.Add(new CoapOption((CoapOptionNumber)number, new byte[valueLength]));

        byte[] wire = CoapMessageCodec.Encode(message);

        Assert.StartsWith(expectedOptionHeaderHex, Convert.ToHexString(wire.AsSpan(4)), StringComparison.Ordinal);
        CoapMessage decoded = CoapMessageCodec.Read(wire);
        Assert.Equal((CoapOptionNumber)number, decoded.Options[0].Number);
        Assert.Equal(valueLength, decoded.Options[0].Value.Length);
    }

    [Fact]
    public void Options_are_written_in_number_order_and_repeatable_order_is_kept()
    {
        var message = new CoapMessage { Code = CoapCode.Post, MessageId = 7 };
        message.Options.Add(CoapOptionNumber.UriQuery, "b=2");
        message.Options.Add(CoapOptionNumber.UriPath, "a");
        message.Options.Add(CoapOptionNumber.ContentFormat, 0);
        message.Options.Add(CoapOptionNumber.UriPath, "b");
        message.Options.Add(CoapOptionNumber.UriQuery, "a=1");

        CoapMessage decoded = CoapMessageCodec.Read(CoapMessageCodec.Encode(message));

        Assert.Equal("/a/b", decoded.UriPath);
        Assert.Equal(["b=2", "a=1"], decoded.UriQuery);
        Assert.Equal(0, decoded.ContentFormat);
        Assert.Equal([CoapOptionNumber.UriPath, CoapOptionNumber.UriPath, CoapOptionNumber.ContentFormat, CoapOptionNumber.UriQuery, CoapOptionNumber.UriQuery], decoded.Options.Select(o => o.Number));
    }

    [Fact]
    public void TryWrite_into_a_too_small_buffer_writes_nothing()
    {
        CoapMessage message = CoapMessageCodec.Read(Convert.FromHexString(ContentHex));
        byte[] destination = new byte[5];

        bool written = CoapMessageCodec.TryWrite(message, destination, out int bytesWritten);

        Assert.False(written);
        Assert.Equal(0, bytesWritten);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("", CoapFormatError.TooShort)]
    [InlineData("400100", CoapFormatError.TooShort)]
    [InlineData("80010000", CoapFormatError.UnsupportedVersion)]
    [InlineData("00010000", CoapFormatError.UnsupportedVersion)]
    [InlineData("49010000010203040506070809", CoapFormatError.InvalidTokenLength)]
    [InlineData("4F010000", CoapFormatError.InvalidTokenLength)]
    [InlineData("440100000102", CoapFormatError.TruncatedToken)]
    [InlineData("40010000F0", CoapFormatError.ReservedOptionDelta)]
    [InlineData("400100000F", CoapFormatError.ReservedOptionLength)]
    [InlineData("40010000D0", CoapFormatError.TruncatedOption)]
    [InlineData("40010000E000", CoapFormatError.TruncatedOption)]
    [InlineData("40010000036162", CoapFormatError.TruncatedOption)]
    [InlineData("40010000FF", CoapFormatError.EmptyPayloadAfterMarker)]
    [InlineData("40010000B161FF", CoapFormatError.EmptyPayloadAfterMarker)]
    [InlineData("40010000E0FFFFE0FFFF", CoapFormatError.OptionNumberOverflow)]
    [InlineData("40000000FF01", CoapFormatError.NonEmptyEmptyMessage)]
    [InlineData("4100000001", CoapFormatError.NonEmptyEmptyMessage)]
    [InlineData("70450000", CoapFormatError.ResetNotEmpty)]
    [InlineData("60010000", CoapFormatError.AcknowledgementWithRequest)]
    [InlineData("40210000", CoapFormatError.ReservedCodeClass)]
    [InlineData("40E10000", CoapFormatError.ReservedCodeClass)]
    [InlineData("50000000", CoapFormatError.EmptyNonConfirmable)]
    public void Malformed_input_is_rejected_with_a_specific_error(string hex, CoapFormatError expected)
    {
        byte[] wire = Convert.FromHexString(hex);

        bool ok = CoapMessageCodec.TryRead(wire, out CoapMessage? message, out CoapFormatError error);
        var exception = Assert.Throws<CoapFormatException>(() => CoapMessageCodec.Read(wire));

        Assert.False(ok);
        Assert.Null(message);
        Assert.Equal(expected, error);
        Assert.Equal(expected, exception.Error);
    }

    [Theory]
    [InlineData("40000000")] // CoAP ping
    [InlineData("60000000")] // empty ACK
    [InlineData("70000000")] // RST
    public void Empty_messages_are_valid(string hex)
    {
        Assert.True(CoapMessageCodec.TryRead(Convert.FromHexString(hex), out CoapMessage? message, out _));
        Assert.True(message!.IsEmpty);
    }

    [Fact]
    public void View_parses_and_enumerates_options_without_allocating()
    {
        byte[] wire = Convert.FromHexString("4401ABCD11223344B474696D6543613D31FF68656C6C6F");
        _ = Parse(wire); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        int sum = Parse(wire);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sum > 0);

        static int Parse(byte[] wire)
        {
            Assert.True(CoapMessageView.TryParse(wire, out CoapMessageView view, out _));
            int sum = view.MessageId + view.TokenBytes.Length + view.Payload.Length;
            foreach (CoapMessageView.OptionView option in view.Options)
            {
                sum += (int)option.Number + option.Value.Length;
            }

            return sum;
        }
    }
}
