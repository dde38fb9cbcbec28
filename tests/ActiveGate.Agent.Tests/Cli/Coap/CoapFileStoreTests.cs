using ActiveGate.Agent.Cli.Coap;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Agent.Tests.Cli.Coap;

/// <summary>The confinement rules of <c>coap serve</c>: nothing outside the served directory, ever.</summary>
public sealed class CoapFileStoreTests : IDisposable
{
    private readonly DirectoryInfo _parent = Directory.CreateTempSubdirectory("coap-store-");
    private readonly string _root;
    private readonly CoapFileStore _store;

    public CoapFileStoreTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_parent.FullName, "served")).FullName;
        File.WriteAllText(Path.Combine(_parent.FullName, "outside.txt"), "secret");
        File.WriteAllText(Path.Combine(_root, "inside.txt"), "public");
        File.WriteAllText(Path.Combine(_root, ".hidden"), "dot");
        File.CreateSymbolicLink(Path.Combine(_root, "escape.txt"), Path.Combine(_parent.FullName, "outside.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape-dir"), _parent.FullName);
        File.CreateSymbolicLink(Path.Combine(_root, "alias.txt"), Path.Combine(_root, "inside.txt"));
        _store = new CoapFileStore(_root);
    }

    public void Dispose() => _parent.Delete(recursive: true);

    [Theory]
    [InlineData("..", "outside.txt")]
    [InlineData("../outside.txt")]
    [InlineData("..\\outside.txt")]
    [InlineData("escape.txt")]
    [InlineData("escape-dir", "outside.txt")]
    [InlineData(".hidden")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a\0b")]
    public void Paths_leaving_the_directory_are_forbidden(params string[] segments)
    {
        Assert.Equal(CoapCode.Forbidden, _store.Get(segments).Code);
        Assert.Equal(CoapCode.Forbidden, _store.Write(segments, "x"u8).Code);
        Assert.Equal(CoapCode.Forbidden, _store.Delete(segments).Code);
        Assert.Equal("secret", File.ReadAllText(Path.Combine(_parent.FullName, "outside.txt")));
    }

    [Fact]
    public void Links_that_stay_inside_are_served()
    {
        CoapResponse response = _store.Get(["alias.txt"]);
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal("public", response.PayloadAsString);
        Assert.Equal(CoapContentFormat.TextPlain, response.ContentFormat);
        Assert.Equal(8, response.ETag!.Value.Length);
    }

    [Fact]
    public void Write_creates_then_changes_and_delete_removes()
    {
        Assert.Equal(CoapCode.Created, _store.Write(["new", "deep", "file.bin"], new byte[] { 1, 2, 3 }).Code);
        Assert.Equal(CoapCode.Changed, _store.Write(["new", "deep", "file.bin"], new byte[] { 4 }).Code);
        Assert.Equal(new byte[] { 4 }, File.ReadAllBytes(Path.Combine(_root, "new", "deep", "file.bin")));
        Assert.Equal(CoapContentFormat.OctetStream, _store.Get(["new", "deep", "file.bin"]).ContentFormat);
        Assert.Equal(CoapCode.Deleted, _store.Delete(["new", "deep", "file.bin"]).Code);
        Assert.Equal(CoapCode.NotFound, _store.Get(["new", "deep", "file.bin"]).Code);
        Assert.Equal(CoapCode.NotFound, _store.Delete(["new", "deep", "file.bin"]).Code);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "new", "deep"))); // no temporary files left
    }

    [Fact]
    public void Listing_shows_only_servable_files()
    {
        string[] listed = _store.ListFiles().Select(s => string.Join('/', s)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["inside.txt"], listed); // links (even harmless ones), dot-files and escapes are not listed
    }
}
