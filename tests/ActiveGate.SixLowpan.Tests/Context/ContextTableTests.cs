using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Context;

public class ContextTableTests
{
    [Fact]
    public void Longest_matching_prefix_wins()
    {
        var table = new ContextTable();
        table.Set(0, Ipv6Prefix.Parse("fd00::/16"));
        table.Set(3, Ipv6Prefix.Parse("fd00:1::/64"));
        Assert.True(table.TryFindForCompression(Ipv6Address.Parse("fd00:1::5"), out int id, out Ipv6Prefix prefix));
        Assert.Equal(3, id);
        Assert.Equal(64, prefix.Length);
        Assert.True(table.TryFindForCompression(Ipv6Address.Parse("fd00:2::5"), out id, out _));
        Assert.Equal(0, id);
        Assert.False(table.TryFindForCompression(Ipv6Address.Parse("2001::1"), out _, out _));
    }

    [Fact]
    public void Decompression_only_context_is_not_used_to_compress()
    {
        var table = new ContextTable();
        table.Set(1, Ipv6Prefix.Parse("2001:db8::/64"), useForCompression: false);
        Assert.False(table.TryFindForCompression(Ipv6Address.Parse("2001:db8::1"), out _, out _));
        Assert.True(table.TryGet(1, out Ipv6Prefix prefix));
        Assert.Equal("2001:db8::/64", prefix.ToString());
    }

    [Fact]
    public void Remove_and_bounds()
    {
        var table = ContextTable.WithContext0(Ipv6Prefix.LegacyContikiMesh);
        Assert.True(table.TryGet(0, out Ipv6Prefix prefix));
        Assert.Equal("aaaa::/64", prefix.ToString());
        table.Remove(0);
        Assert.False(table.TryGet(0, out _));
        Assert.False(table.TryGet(16, out _));
        Assert.False(table.TryGet(-1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Set(16, Ipv6Prefix.DefaultMesh));
    }

    [Fact]
    public void Lifetime_uses_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        var table = new ContextTable(time);
        table.Set(2, Ipv6Prefix.Parse("2001:db8::/64"), TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(table.TryGet(2, out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(table.TryGet(2, out _));
    }
}
