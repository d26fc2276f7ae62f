<#
.SYNOPSIS
    Generates GridTsne's MAML help (GridTsne.dll-Help.xml) from docs/cmdlets/*.md and the compiled cmdlets.

.DESCRIPTION
    platyPS is not on NuGet, so this small generator does its job. The markdown gives the words (synopsis,
    description, examples, parameter meanings, inputs, outputs, notes); the compiled cmdlets give the facts
    (syntax, parameter sets, types, positions, pipeline input, aliases), so the two can never disagree.
    build.ps1 runs it in a child pwsh, because it imports the module and a binary module cannot be unloaded.

    The markdown format (one file per cmdlet, named <Verb-Noun>.md) uses exactly these headings:
    '# Name', '## SYNOPSIS', '## DESCRIPTION', '## EXAMPLES' with '### Example N: title' and a fenced
    powershell block followed by its explanation, '## PARAMETERS' with '### -Name', '## INPUTS' and
    '## OUTPUTS' with '### TypeName', and '## NOTES'.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ManifestPath,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

function ConvertFrom-HelpMarkdown([string] $Path) {
    # Splits a help page into its sections: '## X' headings, and '### Y' subsections inside them.
    $page = @{ Sections = @{}; Subsections = @{} }
    $section = $null
    $subsection = $null
    foreach ($line in (Get-Content -LiteralPath $Path)) {
        if ($line -match '^## (.+)$') {
            $section = $Matches[1].Trim().ToUpperInvariant()
            $subsection = $null
            $page.Sections[$section] = [System.Collections.Generic.List[string]]::new()
            $page.Subsections[$section] = [ordered]@{}
        }
        elseif ($line -match '^### (.+)$' -and $section) {
            $subsection = $Matches[1].Trim()
            $page.Subsections[$section][$subsection] = [System.Collections.Generic.List[string]]::new()
        }
        elseif ($section -and $subsection) { $page.Subsections[$section][$subsection].Add($line) }
        elseif ($section) { $page.Sections[$section].Add($line) }
    }
    return $page
}

function ConvertTo-Paragraphs([string[]] $Lines) {
    # Blank lines separate paragraphs; list items and indented lines keep their own line.
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Lines) {
        if ($line.Trim() -eq '') {
            if ($current.Count) { $paragraphs.Add($current -join ' '); $current.Clear() }
        }
        elseif ($line -match '^\s*([-*]|\d+\.)\s' -or $line -match '^\s{4}') {
            if ($current.Count) { $paragraphs.Add($current -join ' '); $current.Clear() }
            $paragraphs.Add($line.TrimEnd())
        }
        else { $current.Add($line.Trim()) }
    }
    if ($current.Count) { $paragraphs.Add($current -join ' ') }
    return , $paragraphs.ToArray()
}

function Add-Paragraphs([System.Xml.XmlWriter] $Writer, [string[]] $Lines) {
    foreach ($paragraph in (ConvertTo-Paragraphs $Lines)) {
        $Writer.WriteElementString('maml', 'para', [NullString]::Value, $paragraph)
    }
}

function Add-Description([System.Xml.XmlWriter] $Writer, [string[]] $Lines) {
    $Writer.WriteStartElement('maml', 'description', [NullString]::Value)
    Add-Paragraphs $Writer $Lines
    $Writer.WriteEndElement()
}

function Get-PipelineInput($Declaration) {
    # Works for a ParameterAttribute and for a parameter set's CommandParameterInfo alike.
    $kinds = @()
    if ($Declaration.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($Declaration.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { return "True ($($kinds -join ', '))" }
    return 'False'
}

function Add-Parameter([System.Xml.XmlWriter] $Writer, $Parameter, $SetParameter, [string[]] $Description) {
    $isSwitch = $Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $typeName = $Parameter.ParameterType.Name
    # In a syntax item the parameter set's view applies; in the parameter list, the first declaration's.
    $declaration = @($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })[0]
    $required = if ($SetParameter) { $SetParameter.IsMandatory } else { $declaration.Mandatory }
    $positionValue = if ($SetParameter) { $SetParameter.Position } else { $declaration.Position }
    $position = if ($positionValue -ge 0) { [string]$positionValue } else { 'named' }
    $pipeline = Get-PipelineInput $(if ($SetParameter) { $SetParameter } else { $declaration })
    $globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $aliases = if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }

    $Writer.WriteStartElement('command', 'parameter', [NullString]::Value)
    $Writer.WriteAttributeString('required', $required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', $globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $pipeline)
    $Writer.WriteAttributeString('position', $position)
    $Writer.WriteAttributeString('aliases', $aliases)
    $Writer.WriteElementString('maml', 'name', [NullString]::Value, $Parameter.Name)
    Add-Description $Writer $Description
    if (-not $isSwitch) {
        $Writer.WriteStartElement('command', 'parameterValue', [NullString]::Value)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
        $Writer.WriteString($typeName)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', [NullString]::Value)
    $Writer.WriteElementString('maml', 'name', [NullString]::Value, $Parameter.ParameterType.FullName)
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', [NullString]::Value, $(if ($isSwitch) { 'False' } else { 'None' }))
    $Writer.WriteEndElement()
}

function Add-TypeList([System.Xml.XmlWriter] $Writer, [string] $ListElement, [string] $ItemElement, $Subsections) {
    $Writer.WriteStartElement('command', $ListElement, [NullString]::Value)
    foreach ($typeName in $Subsections.Keys) {
        $Writer.WriteStartElement('command', $ItemElement, [NullString]::Value)
        $Writer.WriteStartElement('dev', 'type', [NullString]::Value)
        $Writer.WriteElementString('maml', 'name', [NullString]::Value, $typeName)
        $Writer.WriteEndElement()
        Add-Description $Writer $Subsections[$typeName]
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
}

function Add-Examples([System.Xml.XmlWriter] $Writer, $Subsections) {
    $Writer.WriteStartElement('command', 'examples', [NullString]::Value)
    foreach ($title in $Subsections.Keys) {
        $code = [System.Collections.Generic.List[string]]::new()
        $remarks = [System.Collections.Generic.List[string]]::new()
        $inCode = $false
        foreach ($line in $Subsections[$title]) {
            if ($line -match '^```') { $inCode = -not $inCode; continue }
            if ($inCode) { $code.Add($line) } else { $remarks.Add($line) }
        }
        $Writer.WriteStartElement('command', 'example', [NullString]::Value)
        $Writer.WriteElementString('maml', 'title', [NullString]::Value, "-------------------------- $title --------------------------")
        $Writer.WriteElementString('dev', 'code', [NullString]::Value, ($code -join [Environment]::NewLine))
        $Writer.WriteStartElement('dev', 'remarks', [NullString]::Value)
        Add-Paragraphs $Writer $remarks.ToArray()
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
}

function Add-Command([System.Xml.XmlWriter] $Writer, $Command, $Page) {
    $Writer.WriteStartElement('command', 'command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $Writer.WriteAttributeString('xmlns', 'maml', [NullString]::Value, 'http://schemas.microsoft.com/maml/2004/10')
    $Writer.WriteAttributeString('xmlns', 'dev', [NullString]::Value, 'http://schemas.microsoft.com/maml/dev/2004/10')

    $Writer.WriteStartElement('command', 'details', [NullString]::Value)
    $Writer.WriteElementString('command', 'name', [NullString]::Value, $Command.Name)
    $Writer.WriteElementString('command', 'verb', [NullString]::Value, $Command.Verb)
    $Writer.WriteElementString('command', 'noun', [NullString]::Value, $Command.Noun)
    Add-Description $Writer $Page.Sections['SYNOPSIS']
    $Writer.WriteEndElement()
    Add-Description $Writer $Page.Sections['DESCRIPTION']

    $parameterHelp = $Page.Subsections['PARAMETERS']
    $describe = { param($name) if ($parameterHelp.Contains("-$name")) { $parameterHelp["-$name"].ToArray() } else { @() } }

    $Writer.WriteStartElement('command', 'syntax', [NullString]::Value)
    foreach ($set in $Command.ParameterSets) {
        $Writer.WriteStartElement('command', 'syntaxItem', [NullString]::Value)
        $Writer.WriteElementString('maml', 'name', [NullString]::Value, $Command.Name)
        foreach ($setParameter in ($set.Parameters | Where-Object Name -NotIn $commonParameters | Where-Object { -not $Command.Parameters[$_.Name].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }) })) {
            Add-Parameter $Writer $Command.Parameters[$setParameter.Name] $setParameter (& $describe $setParameter.Name)
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', [NullString]::Value)
    foreach ($parameter in $Command.Parameters.Values) {
        if ($parameter.Name -in $commonParameters) { continue }
        if ($parameter.Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow })) { continue }
        Add-Parameter $Writer $parameter $null (& $describe $parameter.Name)
    }
    $Writer.WriteEndElement()

    Add-TypeList $Writer 'inputTypes' 'inputType' $Page.Subsections['INPUTS']
    Add-TypeList $Writer 'returnValues' 'returnValue' $Page.Subsections['OUTPUTS']
    if ($Page.Sections.Contains('NOTES')) {
        $Writer.WriteStartElement('maml', 'alertSet', [NullString]::Value)
        $Writer.WriteStartElement('maml', 'alert', [NullString]::Value)
        Add-Paragraphs $Writer $Page.Sections['NOTES'].ToArray()
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    Add-Examples $Writer $Page.Subsections['EXAMPLES']
    $Writer.WriteEndElement()
}

$module = Import-Module $ManifestPath -PassThru -Force
New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
$target = Join-Path $OutputPath "$(Split-Path $module.Path -Leaf)-Help.xml"
$temporary = "$target.tmp"

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$writer = [System.Xml.XmlWriter]::Create($temporary, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($command in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
        $page = Join-Path $DocsPath "$($command.Name).md"
        if (-not (Test-Path -LiteralPath $page)) {
            Write-Warning "No help page for $($command.Name): expected $page."
            continue
        }
        Add-Command $writer $command (ConvertFrom-HelpMarkdown $page)
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally {
    $writer.Dispose()
}
Move-Item -LiteralPath $temporary -Destination $target -Force

# About topics are plain text; pwsh finds them beside the MAML file.
Get-ChildItem -LiteralPath (Split-Path $DocsPath) -Filter 'about_*.help.txt' | Copy-Item -Destination $OutputPath -Force
