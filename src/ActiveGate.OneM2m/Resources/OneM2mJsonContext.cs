using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActiveGate.OneM2m.Resources;

/// <summary>Source-generated (reflection-free, trimming-safe) metadata for every oneM2M JSON type.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ApplicationEntity))]
[JsonSerializable(typeof(Container))]
[JsonSerializable(typeof(ContentInstance))]
[JsonSerializable(typeof(Subscription))]
[JsonSerializable(typeof(PollingChannel))]
[JsonSerializable(typeof(Notification))]
[JsonSerializable(typeof(RequestPrimitiveJson))]
[JsonSerializable(typeof(ResponsePrimitiveJson))]
[JsonSerializable(typeof(CseBase))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class OneM2mJsonContext : JsonSerializerContext;
