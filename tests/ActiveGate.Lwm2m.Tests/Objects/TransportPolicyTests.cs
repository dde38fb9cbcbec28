using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.TestKit;

namespace ActiveGate.Lwm2m.Tests.Objects;

/// <summary>The policy record's rules and the object's DDF (against the OMA schema in ../shared).</summary>
public sealed class TransportPolicyTests
{
    private static readonly TransportPolicy s_valid = new("metering", "http", "10.0.0.5", 8080, "/id-in", "cse-in", "CActiveGate01", "3");

    private static string DdfPath => Path.Combine(RepositoryLayout.Root, "src", "ActiveGate.Lwm2m", "Model", "Ddf", "26241.xml");

    private static string SchemaPath => Path.Combine(RepositoryLayout.SharedReference, "lwm2m-objects", "LWM2M-v1_1.xsd");

    private static List<string> SchemaErrors(XDocument document)
    {
        var schemas = new XmlSchemaSet();
        using (var reader = XmlReader.Create(SchemaPath, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null }))
        {
            schemas.Add(null, reader);
        }

        var errors = new List<string>();
        document.Validate(schemas, (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }

    [Fact]
    public void The_DDF_is_valid_against_the_LwM2M_1_1_schema()
    {
        Assert.True(File.Exists(SchemaPath), "the shared reference is expected at " + SchemaPath);
        Assert.Empty(SchemaErrors(XDocument.Load(DdfPath)));

        // The check can fail: an operation the schema does not know is reported.
        var broken = XDocument.Load(DdfPath);
        broken.Descendants("Operations").First().Value = "RWX";
        Assert.NotEmpty(SchemaErrors(broken));
    }

    [Fact]
    public void The_loader_reads_the_embedded_DDF_as_specified()
    {
        Assert.Contains(26241, DdfLoader.EmbeddedObjectIds);
        var definition = DdfLoader.LoadEmbedded(26241);
        Assert.Equal(Assert.Single(DdfLoader.LoadFile(DdfPath)).Resources.Count, definition.Resources.Count);
        Assert.Equal(("Transport Management Policy", "1.0", true), (definition.Name, definition.ObjectVersion, definition.Multiple));
        string[] names = ["Service Name", "Scheme", "Address", "Port", "CSE-ID", "CSEBase Name", "Originator", "Release Version", "State", "State Reason", "Last Switch Duration", "Readings Delivered", "Switch Count"];
        Assert.Equal(names, definition.ResourceIds.Select(id => definition.Resources[id].Name));
        Assert.Equal(Enumerable.Range(0, 13), definition.ResourceIds);
        Assert.All(definition.Resources.Values, r => Assert.False(r.Multiple));
        Assert.All(definition.Resources.Values.Where(r => r.Id <= 7), r => Assert.Equal(ResourceOperations.ReadWrite, r.Operations));
        Assert.All(definition.Resources.Values.Where(r => r.Id >= 8), r => Assert.Equal(ResourceOperations.Read, r.Operations));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 8], definition.Resources.Values.Where(r => r.Mandatory).Select(r => r.Id).Order());
        Assert.Equal([3, 10, 11, 12], definition.Resources.Values.Where(r => r.Type == ResourceType.Integer).Select(r => r.Id).Order());
        Assert.Equal((1.0, 65535.0), definition.Resources[TransportPolicyObject.Port].NumericRange);
        Assert.Equal("ms", definition.Resources[TransportPolicyObject.LastSwitchDuration].Units);
    }

    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("255.255.255.255")]
    [InlineData("fd00::1")]
    [InlineData("2001:db8:0:0:1:0:0:1")]
    [InlineData("::ffff:192.0.2.1")]
    [InlineData("platform.example.net")]
    [InlineData("cse-in")]
    [InlineData("a1.b-2.c")]
    [InlineData("localhost")]
    public void Valid_addresses(string address) =>
        Assert.Null(TransportPolicy.Validate(s_valid with { Address = address }));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("10.0.0.5 ")]
    [InlineData("a b")]
    [InlineData("10.0.0")]
    [InlineData("10.0.0.256")]
    [InlineData("010.0.0.1")]
    [InlineData("1")]
    [InlineData("[fd00::1]")]
    [InlineData("fe80::1%eth0")]
    [InlineData("fd00::1::2")]
    [InlineData("host:80")]
    [InlineData("-host")]
    [InlineData("host-")]
    [InlineData("a..b")]
    [InlineData("under_score.example")]
    [InlineData("http://host")]
    [InlineData("host/path")]
    [InlineData("bücher.example")]
    [InlineData("tab\there")]
    public void Invalid_addresses(string address)
    {
        string? reason = TransportPolicy.Validate(s_valid with { Address = address });
        Assert.NotNull(reason);
        Assert.StartsWith("Address", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Address_length_limits_follow_DNS()
    {
        string label = new('a', 63);
        Assert.Null(TransportPolicy.Validate(s_valid with { Address = $"{label}.{label}.{label}.{new string('b', 61)}" }));   // 253
        Assert.NotNull(TransportPolicy.Validate(s_valid with { Address = $"{label}.{label}.{label}.{new string('b', 62)}" }));
        Assert.NotNull(TransportPolicy.Validate(s_valid with { Address = new string('a', 64) + ".example" }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(int.MaxValue)]
    public void Ports_outside_1_to_65535_are_refused(int port) =>
        Assert.StartsWith("Port", TransportPolicy.Validate(s_valid with { Port = port }), StringComparison.Ordinal);

    [Fact]
    public void Other_fields_are_checked()
    {
        Assert.Null(TransportPolicy.Validate(s_valid with { Port = 1, ReleaseVersion = null }));
        Assert.Null(TransportPolicy.Validate(s_valid with { Port = 65535, ReleaseVersion = "2a", Originator = "/id-in/CAE01", Scheme = "coaps" }));
        Assert.StartsWith("Scheme", TransportPolicy.Validate(s_valid with { Scheme = "ftp" }), StringComparison.Ordinal);
        Assert.StartsWith("Scheme", TransportPolicy.Validate(s_valid with { Scheme = "Http" }), StringComparison.Ordinal);
        Assert.StartsWith("Scheme", TransportPolicy.Validate(s_valid with { Scheme = null! }), StringComparison.Ordinal);
        Assert.StartsWith("CSE-ID", TransportPolicy.Validate(s_valid with { CseId = "id-in" }), StringComparison.Ordinal);
        Assert.StartsWith("CSE-ID", TransportPolicy.Validate(s_valid with { CseId = "/id/in" }), StringComparison.Ordinal);
        Assert.StartsWith("CSE-ID", TransportPolicy.Validate(s_valid with { CseId = "//id-in" }), StringComparison.Ordinal);
        Assert.StartsWith("CSEBase Name", TransportPolicy.Validate(s_valid with { CseBaseName = "" }), StringComparison.Ordinal);
        Assert.StartsWith("CSEBase Name", TransportPolicy.Validate(s_valid with { CseBaseName = "cse\nin" }), StringComparison.Ordinal);
        Assert.StartsWith("Originator", TransportPolicy.Validate(s_valid with { Originator = "C AE" }), StringComparison.Ordinal);
        Assert.StartsWith("Originator", TransportPolicy.Validate(s_valid with { Originator = new string('C', 129) }), StringComparison.Ordinal);
        Assert.StartsWith("Service Name", TransportPolicy.Validate(s_valid with { ServiceName = "meter ing" }), StringComparison.Ordinal);
        Assert.StartsWith("Service Name", TransportPolicy.Validate(s_valid with { ServiceName = new string('s', 65) }), StringComparison.Ordinal);
        Assert.StartsWith("Release Version", TransportPolicy.Validate(s_valid with { ReleaseVersion = "" }), StringComparison.Ordinal);
        Assert.StartsWith("Release Version", TransportPolicy.Validate(s_valid with { ReleaseVersion = "0" }), StringComparison.Ordinal);
        Assert.StartsWith("Release Version", TransportPolicy.Validate(s_valid with { ReleaseVersion = "3 " }), StringComparison.Ordinal);
    }

    [Fact]
    public void Reasons_do_not_echo_control_characters_or_huge_values()
    {
        string reason = TransportPolicy.Validate(s_valid with { Originator = "C\u0007" + new string('x', 100) })!;
        Assert.DoesNotContain('\u0007', reason);
        Assert.True(reason.Length < 200, reason);
    }

    [Fact]
    public void Base_uri_brackets_IPv6_and_refuses_an_invalid_policy()
    {
        Assert.Equal("http://10.0.0.5:8080/", s_valid.GetBaseUri().ToString());
        Assert.Equal("coap://[fd00::1]:5683/", (s_valid with { Scheme = "coap", Address = "fd00::1", Port = 5683 }).GetBaseUri().ToString());
        Assert.Equal("https://platform.example.net:443/", (s_valid with { Scheme = "https", Address = "platform.example.net", Port = 443 }).GetBaseUri().OriginalString);
        Assert.Throws<InvalidOperationException>(() => (s_valid with { Port = 0 }).GetBaseUri());
    }
}
