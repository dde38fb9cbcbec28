namespace ActiveGate.Ieee802154.Tests;

public class MacAddressTests
{
    [Fact]
    public void Extended_address_is_reversed_on_air()
    {
        MacAddress address = MacAddress.Parse("00:12:4b:00:06:0d:b2:a1");
        byte[] air = new byte[8];
        Assert.True(address.TryWrite(air));
        Assert.Equal(Convert.FromHexString("a1b20d06004b1200"), air);
        Assert.Equal(address, MacAddress.Read(AddressingMode.Extended, air));
        Assert.Equal("00:12:4b:00:06:0d:b2:a1", address.ToString());
        Assert.Equal(0x00124B00060DB2A1UL, address.ExtendedValue);
    }

    [Fact]
    public void Short_address_is_little_endian()
    {
        MacAddress address = MacAddress.FromShort(0x1234);
        byte[] air = new byte[2];
        Assert.True(address.TryWrite(air));
        Assert.Equal(new byte[] { 0x34, 0x12 }, air);
        Assert.Equal("12:34", address.ToString());
        Assert.Equal(address, MacAddress.Parse("0x1234"));
    }

    [Fact]
    public void Broadcast_and_none()
    {
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.False(MacAddress.FromShort(1).IsBroadcast);
        Assert.Equal(0, MacAddress.None.Length);
        Assert.Equal(AddressingMode.None, default(MacAddress).Mode);
        Assert.Throws<InvalidOperationException>(() => MacAddress.None.ShortValue);
    }

    [Theory]
    [InlineData("")]
    [InlineData("zz")]
    [InlineData("00:12:4b")]
    [InlineData(null)]
    public void Bad_text_does_not_parse(string? text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
    }

    [Fact]
    public void Canonical_bytes_and_span_constructor_agree()
    {
        byte[] canonical = Convert.FromHexString("00124b00060db2a1");
        MacAddress address = MacAddress.FromExtended(canonical);
        byte[] back = new byte[8];
        address.WriteCanonical(back);
        Assert.Equal(canonical, back);
    }
}
