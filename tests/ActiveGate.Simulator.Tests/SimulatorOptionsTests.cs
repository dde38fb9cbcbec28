namespace ActiveGate.Simulator.Tests;

public class SimulatorOptionsTests
{
    [Fact]
    public void Parses_every_option()
    {
        SimulatorOptions o = SimulatorOptions.Parse(
            ["--link", "/tmp/radio", "--plugs", "3", "--dins", "2", "--channel", "15", "--pan", "0x1234", "--prefix", "aaaa::/64",
             "--loss", "0.25", "--delay", "5", "--report-interval", "2.5", "--seed", "9", "--radio-eui64", "02:00:00:00:00:00:00:07", "--quirks", "--block-size", "32", "-v"]);
        Assert.Equal("/tmp/radio", o.LinkPath);
        Assert.Equal((3, 2, 15, (ushort)0x1234, "aaaa::/64"), (o.Plugs, o.Dins, o.Channel, o.PanId, o.Prefix));
        Assert.Equal(0.25, o.Loss);
        Assert.Equal(TimeSpan.FromMilliseconds(5), o.Delay);
        Assert.Equal(TimeSpan.FromSeconds(2.5), o.ReportInterval);
        Assert.Equal(9, o.Seed);
        Assert.Equal(0x0200000000000007UL, o.RadioEui64);
        Assert.True(o.Verbose);
        Assert.True(o.Quirks);
        Assert.Equal(32, o.BlockSize);
    }

    [Theory]
    [InlineData("--channel", "27")]
    [InlineData("--loss", "1.5")]
    [InlineData("--plugs", "x")]
    [InlineData("--radio-eui64", "00:12")]
    [InlineData("--bogus", "1")]
    [InlineData("--block-size", "100")]
    public void Rejects_bad_values(string option, string value)
        => Assert.Throws<FormatException>(() => SimulatorOptions.Parse([option, value]));

    [Fact]
    public void Defaults_are_two_plugs_and_one_din_on_channel_26()
    {
        SimulatorOptions o = SimulatorOptions.Parse([]);
        Assert.Equal((2, 1, 26, (ushort)0xABCD), (o.Plugs, o.Dins, o.Channel, o.PanId));
    }
}
