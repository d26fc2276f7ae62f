namespace GridTsne.Engine.Embedding;

/// <summary>Field numbers from onnx.proto.</summary>
internal static class OnnxFields
{
    public const int ModelIrVersion = 1;
    public const int ModelGraph = 7;
    public const int ModelOpsetImport = 8;
    public const int OpsetDomain = 1;
    public const int OpsetVersion = 2;
    public const int GraphNode = 1;
    public const int GraphName = 2;
    public const int GraphInitializer = 5;
    public const int GraphDocString = 10;
    public const int GraphInput = 11;
    public const int GraphOutput = 12;
    public const int GraphValueInfo = 13;
    public const int NodeInput = 1;
    public const int NodeOutput = 2;
    public const int NodeName = 3;
    public const int NodeOpType = 4;
    public const int NodeAttribute = 5;
    public const int NodeDomain = 7;
    public const int AttributeName = 1;
    public const int AttributeFloat = 2;
    public const int AttributeInt = 3;
    public const int AttributeType = 20;
    public const int AttributeTypeFloat = 1;
    public const int AttributeTypeInt = 2;
    public const int TensorDimensions = 1;
    public const int TensorDataType = 2;
    public const int TensorFloatData = 4;
    public const int TensorName = 8;
    public const int TensorRawData = 9;
    public const int TensorDocString = 12;
    public const int ValueInfoName = 1;
    public const int ValueInfoType = 2;
    public const int TypeTensor = 1;
    public const int TensorTypeElementType = 1;
    public const int TensorTypeShape = 2;
    public const int ShapeDimension = 1;
    public const int DimensionParam = 2;
}
