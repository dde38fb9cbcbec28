using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Operations;

namespace ActiveGate.Lwm2m.Tests.Operations;

public sealed class AttributeTests
{
    private static AttributeChanges Q(params string[] q) => AttributeChanges.Parse(q);

    private static readonly ResourceDefinition s_numeric = new(9, "Battery Level", ResourceOperations.Read, false, false, ResourceType.Integer, "0..100", "%");
    private static readonly ResourceDefinition s_text = new(0, "Manufacturer", ResourceOperations.Read, false, false, ResourceType.String, "", "");

    [Fact]
    public void Inherits_resource_then_instance_then_object_then_server_defaults()
    {
        var store = new AttributeStore();
        store.Write(Lwm2mPath.Parse("/3"), Q("pmin=1", "pmax=100", "epmax=50"), null);
        store.Write(Lwm2mPath.Parse("/3/0"), Q("pmin=5"), null);
        store.Write(Lwm2mPath.Parse("/3/0/9"), Q("gt=50", "st=2"), s_numeric);
        var defaults = new NotificationAttributes { MinPeriod = 0, MaxPeriod = 300 };
        var e = store.GetEffective(Lwm2mPath.Parse("/3/0/9"), defaults);
        Assert.Equal(5, e.MinPeriod);
        Assert.Equal(100, e.MaxPeriod);
        Assert.Equal(50, e.GreaterThan);
        Assert.Equal(2, e.Step);
        Assert.Equal(50, e.EvaluationMaxPeriod);
        var other = store.GetEffective(Lwm2mPath.Parse("/4/0/2"), defaults);
        Assert.Equal(300, other.MaxPeriod);
        Assert.Null(other.GreaterThan);
    }

    [Fact]
    public void A_name_without_value_removes_the_attribute()
    {
        var store = new AttributeStore();
        store.Write(Lwm2mPath.Parse("/3/0/9"), Q("pmin=5", "gt=10"), s_numeric);
        store.Write(Lwm2mPath.Parse("/3/0/9"), Q("gt"), s_numeric);
        Assert.Equal(new NotificationAttributes { MinPeriod = 5 }, store.Get(Lwm2mPath.Parse("/3/0/9")));
        store.Write(Lwm2mPath.Parse("/3/0/9"), Q("pmin"), s_numeric);
        Assert.True(store.Get(Lwm2mPath.Parse("/3/0/9")).IsEmpty);
    }

    [Theory]
    [InlineData("/3/0/0", "gt=5")]          // threshold on a string
    [InlineData("/3/0", "lt=5")]            // threshold on an instance
    [InlineData("/3/0/9", "lt=50", "gt=40")]
    [InlineData("/3/0/9", "lt=10", "gt=20", "st=5")]
    [InlineData("/3/0/9", "epmin=10", "epmax=10")]
    [InlineData("/3/0/9", "pmin=-1")]
    [InlineData("/3/0/9", "pmin=1.5")]
    [InlineData("/3/0/9", "foo=1")]
    [InlineData("/3/0/9", "gt=abc")]
    [InlineData("/3/0/9", "st=-1")]
    public void Invalid_combinations_are_4_00(string path, params string[] query)
    {
        var store = new AttributeStore();
        var p = Lwm2mPath.Parse(path);
        var ex = Assert.Throws<Lwm2mException>(() => store.Write(p, Q(query), p.IsResource && p.ResourceId == 9 ? s_numeric : p.IsResource ? s_text : null));
        Assert.Equal(Lwm2mStatus.BadRequest, ex.Status);
        Assert.True(store.Get(p).IsEmpty);
    }

    [Fact]
    public void Discover_shows_attached_attributes()
    {
        var t = new TestModel();
        var store = new AttributeStore();
        store.Write(Lwm2mPath.Parse("/3/0/13"), Q("pmin=10", "pmax=60"), t.Model.GetObject(3)!.Resources[13]);
        string links = DiscoverWriter.Discover(t.Model, store, Lwm2mPath.Parse("/3"));
        Assert.StartsWith("</3>;ver=1.2,</3/0>,</3/0/0>,", links, StringComparison.Ordinal);
        Assert.Contains("</3/0/11>;dim=1", links, StringComparison.Ordinal);
        Assert.Contains("</3/0/13>;pmin=10;pmax=60", links, StringComparison.Ordinal);
        string bs = DiscoverWriter.BootstrapDiscover(t.Model, Lwm2mPath.Root);
        Assert.StartsWith("</>;lwm2m=1.1,</0>;ver=1.1,</0/0>;ssid=101;uri=\"coap://127.0.0.1:5683\",</0/1>;uri=", bs, StringComparison.Ordinal);
        Assert.Contains("</1/0>;ssid=101", bs, StringComparison.Ordinal);
    }
}
