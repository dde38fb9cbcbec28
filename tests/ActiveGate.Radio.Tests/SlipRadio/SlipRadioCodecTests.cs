using ActiveGate.Radio.SlipRadio;
using ActiveGate.Radio.Tests.Support;

namespace ActiveGate.Radio.Tests.SlipRadio;

public class SlipRadioCodecTests
{
    [Theory]
    [InlineData("214D00124B00060DB2A1", SlipRadioMessageKind.MacAddress)]
    [InlineData("2152030001", SlipRadioMessageKind.TxReport)]
    [InlineData("21560001001A", SlipRadioMessageKind.ParameterValue)]
    [InlineData("2158", SlipRadioMessageKind.UnknownCommand)]
    [InlineData("214D0102", SlipRadioMessageKind.UnknownCommand)] // !M with a short address
    [InlineData("3F4D", SlipRadioMessageKind.Query)]
    [InlineData("0D68656C6C6F0A", SlipRadioMessageKind.DebugLine)]
    [InlineData("45556E6B6E6F776E20636F6D6D616E64", SlipRadioMessageKind.Text)] // "EUnknown command"
    [InlineData("41D801CDABFFFF04030201004B12007A", SlipRadioMessageKind.Frame)]
    [InlineData("61DC2ACDAB", SlipRadioMessageKind.Frame)]
    public void Classifies_like_contiki_serial_input(string hex, SlipRadioMessageKind kind)
        => Assert.Equal(kind, SlipRadioCodec.Classify(Convert.FromHexString(hex)));

    [Fact]
    public void Writes_reference_bytes()
    {
        // radio-and-mesh.md §1.1.3: !V chan=26, !V pan=0xabcd, !S sid=0 with 0 attrs.
        byte[] buffer = new byte[8];
        Assert.True(SlipRadioCodec.TryWriteParameterValue(RadioParameter.Channel, 26, buffer, out int n));
        Assert.Equal("21560001001A", Convert.ToHexString(buffer, 0, n));
        Assert.True(SlipRadioCodec.TryWriteParameterValue(RadioParameter.PanId, 0xABCD, buffer, out n));
        Assert.Equal("21560002ABCD", Convert.ToHexString(buffer, 0, n));
        Assert.True(SlipRadioCodec.TryWriteParameterQuery(RadioParameter.PanId, buffer, out n));
        Assert.Equal("3F560002", Convert.ToHexString(buffer, 0, n));
        Assert.True(SlipRadioCodec.TryWriteSendHeader(0, buffer, out n));
        Assert.Equal("21530000", Convert.ToHexString(buffer, 0, n));
        Assert.False(SlipRadioCodec.TryWriteSendHeader(16, buffer, out _));
    }

    [Fact]
    public void Parses_radio_messages()
    {
        Assert.True(SlipRadioCodec.TryParseMacAddress(Convert.FromHexString("214D00124B00060DB2A1"), out ulong eui));
        Assert.Equal(0x00124B00060DB2A1UL, eui);
        Assert.True(SlipRadioCodec.TryParseTxReport(Convert.FromHexString("21520B0203"), out byte sid, out byte status, out byte tx));
        Assert.Equal((11, TxStatus.NoAck, 3), (sid, SlipRadioCodec.ToTxStatus(status), tx));
        Assert.Equal(TxStatus.Unknown, SlipRadioCodec.ToTxStatus(9));
        Assert.True(SlipRadioCodec.TryParseParameterValue(Convert.FromHexString("21560002ABCD"), out var parameter, out ushort value));
        Assert.Equal((RadioParameter.PanId, (ushort)0xABCD), (parameter, value));
    }

    [Fact]
    public void Radio_side_parses_send_with_and_without_attributes()
    {
        byte[] plain = [.. "!S"u8, 5, 0, .. TestFrames.Unicast];
        Assert.True(SlipRadioCodec.TryParseSend(plain, out byte sid, out ReadOnlySpan<byte> mpdu));
        Assert.Equal(5, sid);
        Assert.Equal(TestFrames.Unicast, mpdu.ToArray());

        byte[] withAttributes = [.. "!S"u8, 7, 2, 1, 0, 26, 5, 0, 3, .. TestFrames.Broadcast];
        Assert.True(SlipRadioCodec.TryParseSend(withAttributes, out sid, out mpdu));
        Assert.Equal(TestFrames.Broadcast, mpdu.ToArray());

        Assert.False(SlipRadioCodec.TryParseSend([.. "!S"u8, 1, 9, 1], out _, out _));
    }

    [Theory]
    [InlineData("61DC2ACDABA1B20D06004B120004030201004B12007E", true)]
    [InlineData("41D801CDABFFFF04030201004B1200", true)] // header only
    [InlineData("020005", true)] // ACK
    [InlineData("61DC2ACDABA1B20D06", false)] // cut inside the destination address
    [InlineData("6104", false)] // shorter than FCF + DSN
    [InlineData("65DC2ACDAB", false)] // frame type 5
    [InlineData("6194010203", false)] // destination mode 1 (reserved)
    [InlineData("41F801CDABFFFF04030201004B1200", false)] // version 3
    public void Sanity_check_rejects_truncated_and_impossible_frames(string hex, bool plausible)
        => Assert.Equal(plausible, MpduSanityCheck.IsPlausible(Convert.FromHexString(hex)));
}
