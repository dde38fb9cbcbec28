using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Tests.Model;

public sealed class Lwm2mPathTests
{
    [Theory]
    [InlineData("/", 0)]
    [InlineData("/3", 1)]
    [InlineData("/3/0", 2)]
    [InlineData("3/0/1", 3)]
    [InlineData("/3/0/7/1/", 4)]
    public void Parses_every_level(string text, int length)
    {
        var p = Lwm2mPath.Parse(text);
        Assert.Equal(length, p.Length);
        Assert.Equal(text.Trim('/').Length == 0 ? "/" : "/" + text.Trim('/'), p.ToString());
    }

    [Theory]
    [InlineData("/3//1")]
    [InlineData("/a")]
    [InlineData("/65535")]
    [InlineData("/1/2/3/4/5")]
    [InlineData("/-1")]
    [InlineData("/ 3")]
    public void Rejects_malformed_paths(string text) => Assert.False(Lwm2mPath.TryParse(text, out _));

    [Fact]
    public void Prefix_parent_and_order()
    {
        var r = new Lwm2mPath(3, 0, 7);
        Assert.True(new Lwm2mPath(3).IsPrefixOf(r));
        Assert.True(r.IsPrefixOf(r));
        Assert.False(new Lwm2mPath(3, 1).IsPrefixOf(r));
        Assert.True(Lwm2mPath.Root.IsPrefixOf(r));
        Assert.Equal(new Lwm2mPath(3, 0), r.Parent);
        Assert.True(new Lwm2mPath(3, 0, 7) < new Lwm2mPath(3, 0, 7, 0));
        Assert.True(new Lwm2mPath(3, 0, 10) > new Lwm2mPath(3, 0, 9, 5));
        Assert.Throws<InvalidOperationException>(() => new Lwm2mPath(3).InstanceId);
    }
}
