using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Tests.Messages;

public sealed class CoapOptionAndBlockTests
{
    [Theory]
    [InlineData(CoapOptionNumber.IfMatch, true, false, false)]
    [InlineData(CoapOptionNumber.UriHost, true, true, false)]
    [InlineData(CoapOptionNumber.ETag, false, false, false)]
    [InlineData(CoapOptionNumber.Observe, false, true, false)]
    [InlineData(CoapOptionNumber.UriPath, true, true, false)]
    [InlineData(CoapOptionNumber.ContentFormat, false, false, false)]
    [InlineData(CoapOptionNumber.MaxAge, false, true, false)]
    [InlineData(CoapOptionNumber.Block2, true, true, false)]
    [InlineData(CoapOptionNumber.Block1, true, true, false)]
    [InlineData(CoapOptionNumber.Size2, false, false, true)]
    [InlineData(CoapOptionNumber.ProxyUri, true, true, false)]
    [InlineData(CoapOptionNumber.Size1, false, false, true)]
    [InlineData(CoapOptionNumber.NoResponse, false, true, false)]
    public void Option_properties_follow_from_the_number(CoapOptionNumber number, bool critical, bool unsafeToForward, bool noCacheKey)
    {
        Assert.Equal(critical, number.IsCritical());
        Assert.Equal(unsafeToForward, number.IsUnsafe());
        Assert.Equal(noCacheKey, number.IsNoCacheKey());
        Assert.True(number.IsKnown());
    }

    [Theory]
    [InlineData(0u, "")]
    [InlineData(1u, "01")]
    [InlineData(255u, "FF")]
    [InlineData(256u, "0100")]
    [InlineData(0x10000u, "010000")]
    [InlineData(0xFFFFFFFFu, "FFFFFFFF")]
    public void Uint_options_use_the_shortest_encoding(uint value, string hex)
    {
        CoapOption option = CoapOption.FromUInt(CoapOptionNumber.MaxAge, value);

        Assert.Equal(hex, Convert.ToHexString(option.Value.Span));
        Assert.Equal(value, option.GetUInt());
    }

    [Theory]
    [InlineData(0u, false, 6, 0x06u)]
    [InlineData(0u, true, 6, 0x0Eu)]
    [InlineData(1u, false, 6, 0x16u)]
    [InlineData(4u, true, 1, 0x49u)]
    [InlineData(0xFFFFFu, true, 0, 0xFFFFF8u)]
    public void Block_option_value_codec(uint number, bool more, int szx, uint encoded)
    {
        var block = new BlockOption(number, more, szx);

        Assert.Equal(encoded, block.Encode());
        Assert.True(BlockOption.TryDecode(encoded, out BlockOption decoded));
        Assert.Equal(block, decoded);
        Assert.Equal(1 << (szx + 4), decoded.Size);
    }

    [Fact]
    public void Block_option_rejects_reserved_szx_7()
    {
        Assert.False(BlockOption.TryDecode(0x07, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockOption(0, false, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockOption.SizeToExponent(2048));
        Assert.Equal(6, BlockOption.SizeToExponent(1024));
    }

    [Theory]
    [InlineData("0.01", "GET")]
    [InlineData("2.05", "2.05")]
    [InlineData("4.04", "4.04")]
    [InlineData("2.31", "2.31")]
    public void Codes_parse_and_print(string text, string name)
    {
        CoapCode code = CoapCode.Parse(text);

        Assert.Equal(text, code.ToString());
        Assert.Equal(name, code.Name);
    }

    [Fact]
    public void Message_accessors_write_the_right_options()
    {
        var message = new CoapMessage { Code = CoapCode.Get };
        Assert.Null(message.ETag);
        Assert.Null(message.Block2);
        Assert.Null(message.Observe);
        message.Observe = 0x1234567; // 24-bit
        message.Block2 = new BlockOption(3, true, 2);
        message.ETag = new byte[] { 1, 2 };

        Assert.Equal(0x234567u, message.Observe);
        Assert.Equal(new BlockOption(3, true, 2), message.Block2);
        Assert.Equal([1, 2], message.ETag!.Value.ToArray());
        message.Block2 = null;
        Assert.False(message.Options.Contains(CoapOptionNumber.Block2));
    }

    [Fact]
    public void Tokens_compare_by_bytes_and_length()
    {
        Assert.Equal(CoapToken.FromBytes([0, 1]), CoapToken.FromBytes([0, 1]));
        Assert.NotEqual(CoapToken.FromBytes([1]), CoapToken.FromBytes([0, 1]));
        Assert.Equal("0001", CoapToken.FromBytes([0, 1]).ToString());
        Assert.Throws<ArgumentException>(() => CoapToken.FromBytes(new byte[9]));
    }
}
