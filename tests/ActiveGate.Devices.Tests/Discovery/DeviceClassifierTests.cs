using ActiveGate.Devices.Discovery;
using ActiveGate.Devices.Model;

namespace ActiveGate.Devices.Tests.Discovery;

public sealed class DeviceClassifierTests
{
    private static List<DiscoveredLink> Channels(int count, bool meter = true)
    {
        var links = new List<DiscoveredLink> { new("/dev/info", ["ag.info"], false), new("/.well-known/core", [], false) };
        for (int n = 1; n <= count; n++)
        {
            links.Add(meter ? new($"/ch/{n}/meter", ["ag.meter"], true) : new($"/ch/{n}/power", ["ag.power"], true));
            links.Add(new($"/ch/{n}/relay", ["ag.relay"], true));
        }

        return links;
    }

    [Fact]
    public void One_switchable_metered_channel_is_an_ActivePlug_rated_16_A()
    {
        (DeviceKind kind, List<ChannelRecord> channels) = DeviceClassifier.Classify(Channels(1), new DeviceInfoPayload("ActivePlug", 1, 16, "1.0", "AP-1"));

        Assert.Equal(DeviceKind.ActivePlug, kind);
        ChannelRecord channel = Assert.Single(channels);
        Assert.Equal("/ch/1/meter", channel.MeterPath);
        Assert.Equal("/ch/1/relay", channel.RelayPath);
        Assert.Equal(16, channel.RatedCurrentAmperes);
    }

    [Fact]
    public void Three_channels_are_an_ActiveDIN_rated_20_A_each_even_without_info()
    {
        (DeviceKind kind, List<ChannelRecord> channels) = DeviceClassifier.Classify(Channels(3, meter: false), null);

        Assert.Equal(DeviceKind.ActiveDin, kind);
        Assert.Equal([1, 2, 3], channels.Select(c => c.Number));
        Assert.All(channels, c => Assert.Equal(20, c.RatedCurrentAmperes));
        Assert.All(channels, c => Assert.Equal($"/ch/{c.Number}/power", c.QuantityPaths["power"]));
    }

    [Fact]
    public void A_rating_above_the_kind_is_capped()
    {
        (_, List<ChannelRecord> channels) = DeviceClassifier.Classify(Channels(1), new DeviceInfoPayload("ActivePlug", 1, 32, null, null));

        Assert.Equal(16, Assert.Single(channels).RatedCurrentAmperes);
    }

    [Theory]
    [InlineData("ActiveDIN", 1)]
    [InlineData("ActivePlug", 3)]
    [InlineData(null, 2)]
    [InlineData(null, 0)]
    public void A_node_whose_shape_does_not_fit_is_generic(string? model, int channels)
    {
        (DeviceKind kind, List<ChannelRecord> records) = DeviceClassifier.Classify(Channels(channels), model is null ? null : new DeviceInfoPayload(model, null, null, null, null));

        Assert.Equal(DeviceKind.Generic, kind);
        Assert.Empty(records);
    }

    [Fact]
    public void A_channel_without_a_relay_does_not_count()
    {
        var links = new List<DiscoveredLink> { new("/ch/1/meter", ["ag.meter"], true) };

        Assert.Equal(DeviceKind.Generic, DeviceClassifier.Classify(links, null).Kind);
    }

    [Theory]
    [InlineData("""{"model":"ActivePlug","channels":1,"ratedA":16,"fw":"1.2.0","serial":"AP-0001"}""", "ActivePlug", 1)]
    [InlineData("""{"model":"ActiveDIN","extra":{"x":1}}""", "ActiveDIN", null)]
    public void Info_documents_are_read(string json, string model, int? channels)
    {
        DeviceInfoPayload info = DeviceInfoPayload.Parse(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Equal(model, info.Model);
        Assert.Equal(channels, info.Channels);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"model":7}""")]
    [InlineData("""{"channels":-1}""")]
    [InlineData("""{"channels":1.5}""")]
    [InlineData("""{"ratedA":"16"}""")]
    [InlineData("""{"model":"ActivePlug" """)]
    public void Bad_info_documents_are_rejected_with_a_reason(string json)
    {
        var ex = Assert.Throws<DevicePayloadException>(() => DeviceInfoPayload.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Contains("/dev/info", ex.Message, StringComparison.Ordinal);
    }
}
