namespace ActiveGate.Ieee802154.Tests;

public class FcsTests
{
    [Fact]
    public void Check_value_of_crc16_kermit()
    {
        Assert.Equal(0x2189, Fcs.Compute("123456789"u8));
    }

    [Fact]
    public void Empty_input_is_zero()
    {
        Assert.Equal(0, Fcs.Compute([]));
    }

    [Fact]
    public void Golden_frame_1_carries_the_computed_fcs()
    {
        byte[] frame = Convert.FromHexString(
            "61dc2acdaba1b20d06004b120004030201004b12007e33f0163316338f3142011234beefb773656e736f727305706f776572f1ad");
        Assert.True(Fcs.Verify(frame));
        Assert.Equal(0xADF1, Fcs.Compute(frame.AsSpan(0, frame.Length - 2)));
    }

    [Fact]
    public void Flipped_bit_fails_verification()
    {
        byte[] frame = Convert.FromHexString(
            "61dc2acdaba1b20d06004b120004030201004b12007e33f0163316338f3142011234beefb773656e736f727305706f776572f1ad");
        frame[10] ^= 0x01;
        Assert.False(Fcs.Verify(frame));
    }

    [Fact]
    public void Update_in_pieces_equals_whole()
    {
        byte[] data = Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray();
        ushort piecewise = Fcs.Update(Fcs.Update(0, data.AsSpan(0, 33)), data.AsSpan(33));
        Assert.Equal(Fcs.Compute(data), piecewise);
    }

    [Fact]
    public void TryWrite_writes_little_endian_and_refuses_short_destination()
    {
        byte[] dest = new byte[2];
        Assert.True(Fcs.TryWrite("123456789"u8, dest));
        Assert.Equal(new byte[] { 0x89, 0x21 }, dest);
        Assert.False(Fcs.TryWrite("1"u8, new byte[1]));
    }

    [Fact]
    public void Verify_rejects_too_short_input()
    {
        Assert.False(Fcs.Verify([0x00]));
        Assert.True(Fcs.Verify([0x00, 0x00]));
    }
}
