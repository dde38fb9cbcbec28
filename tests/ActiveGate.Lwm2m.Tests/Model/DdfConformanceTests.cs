using System.Xml.Linq;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;

namespace ActiveGate.Lwm2m.Tests.Model;

/// <summary>The model must match the official DDF XML in ../shared/reference/lwm2m-objects.</summary>
public sealed class DdfConformanceTests
{
    private static string? SharedDirectory()
    {
        var env = Environment.GetEnvironmentVariable("ACTIVEGATE_LWM2M_OBJECTS");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "reference", "lwm2m-objects");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Directory.Exists("/work/shared/reference/lwm2m-objects") ? "/work/shared/reference/lwm2m-objects" : null;
    }

    public static TheoryData<string> SharedFiles()
    {
        var data = new TheoryData<string>();
        var dir = SharedDirectory();
        foreach (var f in dir is null ? Enumerable.Empty<string>() : Directory.GetFiles(dir, "*.xml").Order())
        {
            data.Add(Path.GetFileName(f));
        }

        if (data.Count == 0)
        {
            data.Add("(embedded only)");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SharedFiles))]
    public void Loader_matches_an_independent_reading_of_each_shared_file(string file)
    {
        var dir = SharedDirectory();
        if (dir is null)
        {
            Assert.Equal([0, 1, 3, 4, 5, 26241], DdfLoader.EmbeddedObjectIds);
            return;
        }

        string path = Path.Combine(dir, file);
        var definition = Assert.Single(DdfLoader.LoadFile(path));
        var xml = XDocument.Load(path).Root!.Element("Object")!;
        Assert.Equal(int.Parse(xml.Element("ObjectID")!.Value), definition.Id);
        Assert.Equal(xml.Element("MultipleInstances")!.Value.Trim() == "Multiple", definition.Multiple);
        var items = xml.Element("Resources")!.Elements("Item").ToArray();
        Assert.Equal(items.Length, definition.Resources.Count);
        foreach (var item in items)
        {
            int id = int.Parse(item.Attribute("ID")!.Value);
            var r = definition.Resources[id];
            Assert.Equal(item.Element("Name")!.Value.Trim(), r.Name);
            string ops = item.Element("Operations")!.Value.Trim();
            Assert.Equal(ops.Contains('R'), r.IsReadable);
            Assert.Equal(ops.Contains('W'), r.IsWritable);
            Assert.Equal(ops.Contains('E'), r.IsExecutable);
            Assert.Equal(item.Element("MultipleInstances")!.Value.Trim() == "Multiple", r.Multiple);
            Assert.Equal(item.Element("Mandatory")!.Value.Trim() == "Mandatory", r.Mandatory);
            string type = item.Element("Type")!.Value.Trim().Replace(" ", "").ToUpperInvariant();
            string expected = r.Type switch
            {
                ResourceType.None => "",
                ResourceType.ObjectLink => "OBJLNK",
                ResourceType.CoreLink => "CORELNK",
                _ => r.Type.ToString().ToUpperInvariant(),
            };
            Assert.Equal(expected, type);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Embedded_copies_are_byte_identical_to_the_shared_files(int objectId)
    {
        var dir = SharedDirectory();
        using var embedded = typeof(DdfLoader).Assembly.GetManifestResourceStream($"ddf/{objectId}.xml");
        Assert.NotNull(embedded);
        if (dir is null)
        {
            return;
        }

        using var copy = new MemoryStream();
        embedded!.CopyTo(copy);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, $"{objectId}.xml")), copy.ToArray());
    }

    [Fact]
    public void Facts_the_clients_rely_on_hold()
    {
        var device = DdfLoader.LoadEmbedded(3);
        Assert.Equal("1.2", device.ObjectVersion);
        Assert.False(device.Multiple);
        Assert.Equal(ResourceOperations.Execute, device.Resources[DeviceObject.Reboot].Operations);
        Assert.Equal(ResourceType.Time, device.Resources[DeviceObject.CurrentTime].Type);
        Assert.True(device.Resources[DeviceObject.ErrorCode].Multiple && device.Resources[DeviceObject.ErrorCode].Mandatory);
        var conn = DdfLoader.LoadEmbedded(4);
        Assert.Equal(14, conn.Resources.Count);
        Assert.Equal("1.3", conn.ObjectVersion);
        Assert.Equal([0, 1, 2, 4], conn.Resources.Values.Where(r => r.Mandatory).Select(r => r.Id).Order());
        var server = DdfLoader.LoadEmbedded(1);
        Assert.Equal(ResourceType.UnsignedInteger, server.Resources[11].Type);
        Assert.Equal(ResourceOperations.ReadWrite, server.Resources[ServerObject.Lifetime].Operations);
        Assert.Equal((0.0, 4.0), DdfLoader.LoadEmbedded(0).Resources[SecurityObject.SecurityModeId].NumericRange);
        Assert.Equal((0, 255), DdfLoader.LoadEmbedded(0).Resources[SecurityObject.ServerUri].LengthRange);
    }

    [Fact]
    public void Every_resource_our_objects_serve_exists_with_its_DDF_type()
    {
        var t = new TestModel();
        foreach (var enabler in t.Model.Objects)
        {
            foreach (int instanceId in enabler.InstanceIds)
            {
                foreach (var (id, resource) in enabler.GetInstance(instanceId)!.Current.Resources)
                {
                    var def = enabler.Definition.GetResource(id);
                    Assert.True(def is not null, $"/{enabler.ObjectId}/{instanceId}/{id} is not in the DDF");
                    Assert.Equal(def!.Multiple, resource.IsMultiple);
                    var values = resource.IsMultiple ? resource.Instances.Values : [resource.Value];
                    Assert.All(values, v => Assert.Equal(def.Type, v.Type));
                }
            }
        }
    }

    [Fact]
    public void Mandatory_readable_resources_of_device_and_connectivity_are_served()
    {
        var t = new TestModel();
        foreach (int objectId in new[] { 3, 4 })
        {
            var def = DdfLoader.LoadEmbedded(objectId);
            var present = t.Model.Read(new Lwm2mPath(objectId, 0), Lwm2mOrigin.DeviceManagement).Select(r => r.Path.ResourceId).ToHashSet();
            foreach (var r in def.Resources.Values.Where(r => r.Mandatory && r.IsReadable))
            {
                Assert.Contains(r.Id, present);
            }
        }
    }

    [Fact]
    public void Malformed_DDF_is_a_clear_error()
    {
        Assert.Throws<DdfFormatException>(() => DdfLoader.Load(new MemoryStream("<LWM2M><Object>"u8.ToArray())));
        Assert.Throws<DdfFormatException>(() => DdfLoader.Load(new MemoryStream("<LWM2M/>"u8.ToArray())));
        Assert.Throws<DdfFormatException>(() => DdfLoader.Load(new MemoryStream(
            "<LWM2M><Object><ObjectID>9</ObjectID><Resources><Item ID='0'><Type>Quaternion</Type></Item></Resources></Object></LWM2M>"u8.ToArray())));
        // A DTD (billion laughs vector) is refused.
        Assert.Throws<DdfFormatException>(() => DdfLoader.Load(new MemoryStream(
            "<!DOCTYPE a [<!ENTITY x 'y'>]><LWM2M><Object><ObjectID>9</ObjectID></Object></LWM2M>"u8.ToArray())));
    }
}
