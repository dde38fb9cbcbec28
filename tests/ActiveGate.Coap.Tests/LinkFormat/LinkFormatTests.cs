using ActiveGate.Coap.LinkFormat;

namespace ActiveGate.Coap.Tests.LinkFormat;

public sealed class LinkFormatTests
{
    // RFC 6690 §5, example 1 (line breaks removed).
    private const string SensorsExample = "</sensors/temp>;if=\"sensor\",</sensors/light>;if=\"sensor\"";

    [Fact]
    public void Parses_the_rfc6690_sensor_example()
    {
        IReadOnlyList<CoapLink> links = LinkFormatParser.Parse(SensorsExample);

        Assert.Equal(["/sensors/temp", "/sensors/light"], links.Select(l => l.Target));
        Assert.All(links, l => Assert.Equal(["sensor"], l.InterfaceDescriptions));
    }

    [Fact]
    public void Parses_quoted_values_with_commas_escapes_flags_and_numbers()
    {
        IReadOnlyList<CoapLink> links = LinkFormatParser.Parse(
            "</t>;rt=\"temperature-c humidity\";title=\"a, \\\"quoted\\\" title\";ct=\"0 40\";obs;sz=1234, </x> ;anchor=\"/\"");

        CoapLink t = links[0];
        Assert.Equal(["temperature-c", "humidity"], t.ResourceTypes);
        Assert.Equal("a, \"quoted\" title", t.Title);
        Assert.Equal([0, 40], t.ContentFormats);
        Assert.True(t.IsObservable);
        Assert.Equal("1234", t.GetAttribute("sz"));
        Assert.Equal("/x", links[1].Target);
        Assert.Equal("/", links[1].GetAttribute("anchor"));
    }

    [Fact]
    public void Parses_libcoap_discovery_output()
    {
        IReadOnlyList<CoapLink> links = LinkFormatParser.Parse(
            "</>;title=\"General Info\";ct=0,</time>;if=\"clock\";rt=\"ticks\";title=\"Internal Clock\";ct=0;obs,</async>;ct=0");

        Assert.Equal(3, links.Count);
        Assert.True(links[1].IsObservable);
        Assert.Equal(["ticks"], links[1].ResourceTypes);
    }

    [Theory]
    [InlineData("<")]
    [InlineData("/a>")]
    [InlineData("</a>;")]
    [InlineData("</a>;rt=\"x")]
    [InlineData("</a></b>")]
    public void Malformed_documents_are_rejected(string text)
    {
        Assert.Throws<LinkFormatException>(() => LinkFormatParser.Parse(text));
        Assert.False(LinkFormatParser.TryParse(text, out _));
    }

    [Fact]
    public void Writes_and_parses_back()
    {
        var links = new[]
        {
            new CoapLink("/a").Add("rt", "x y").Add("ct", "40").Add("obs"),
            new CoapLink("/b").Add("title", "say \"hi\""),
        };

        string text = LinkFormatWriter.Write(links);
        IReadOnlyList<CoapLink> parsed = LinkFormatParser.Parse(text);

        Assert.Equal("</a>;rt=\"x y\";ct=40;obs,</b>;title=\"say \\\"hi\\\"\"", text);
        Assert.Equal(["x", "y"], parsed[0].ResourceTypes);
        Assert.Equal("say \"hi\"", parsed[1].Title);
    }

    [Theory]
    [InlineData("rt=temperature-c", true)]
    [InlineData("rt=temp*", true)]
    [InlineData("rt=humidity", true)]
    [InlineData("rt=light", false)]
    [InlineData("if=sensor", true)]
    [InlineData("if=actuator", false)]
    [InlineData("href=/sensors/temp", true)]
    [InlineData("href=/sensors*", true)]
    [InlineData("href=/actuators*", false)]
    [InlineData("ct=40", true)]
    [InlineData("obs", true)]
    [InlineData("title", false)]
    public void Filters_by_query(string query, bool matches)
    {
        CoapLink link = new CoapLink("/sensors/temp").Add("rt", "temperature-c humidity").Add("if", "sensor").Add("ct", "0 40").Add("obs");

        Assert.Equal(matches, LinkFormatWriter.Matches(link, [query]));
    }
}
