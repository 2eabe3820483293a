// https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface MatchboxProviderConfig {
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs#ca MatchboxProvider#ca}
  */
  readonly ca: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs#client_cert MatchboxProvider#client_cert}
  */
  readonly clientCert: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs#client_key MatchboxProvider#client_key}
  */
  readonly clientKey: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs#endpoint MatchboxProvider#endpoint}
  */
  readonly endpoint: string;
  /**
  * Alias name
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs#alias MatchboxProvider#alias}
  */
  readonly alias?: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs matchbox}
*/
export class MatchboxProvider extends cdktf.TerraformProvider {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "matchbox";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a MatchboxProvider resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the MatchboxProvider to import
  * @param importFromId The id of the existing MatchboxProvider that should be imported. Refer to the {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the MatchboxProvider to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "matchbox", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs matchbox} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options MatchboxProviderConfig
  */
  public constructor(scope: Construct, id: string, config: MatchboxProviderConfig) {
    super(scope, id, {
      terraformResourceType: 'matchbox',
      terraformGeneratorMetadata: {
        providerName: 'matchbox',
        providerVersion: '0.5.4',
        providerVersionConstraint: '~> 0.5'
      },
      terraformProviderSource: 'poseidon/matchbox'
    });
    this._ca = config.ca;
    this._clientCert = config.clientCert;
    this._clientKey = config.clientKey;
    this._endpoint = config.endpoint;
    this._alias = config.alias;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // ca - computed: false, optional: false, required: true
  private _ca?: string; 
  public get ca() {
    return this._ca;
  }
  public set ca(value: string | undefined) {
    this._ca = value;
  }
  // Temporarily expose input value. Use with caution.
  public get caInput() {
    return this._ca;
  }

  // client_cert - computed: false, optional: false, required: true
  private _clientCert?: string; 
  public get clientCert() {
    return this._clientCert;
  }
  public set clientCert(value: string | undefined) {
    this._clientCert = value;
  }
  // Temporarily expose input value. Use with caution.
  public get clientCertInput() {
    return this._clientCert;
  }

  // client_key - computed: false, optional: false, required: true
  private _clientKey?: string; 
  public get clientKey() {
    return this._clientKey;
  }
  public set clientKey(value: string | undefined) {
    this._clientKey = value;
  }
  // Temporarily expose input value. Use with caution.
  public get clientKeyInput() {
    return this._clientKey;
  }

  // endpoint - computed: false, optional: false, required: true
  private _endpoint?: string; 
  public get endpoint() {
    return this._endpoint;
  }
  public set endpoint(value: string | undefined) {
    this._endpoint = value;
  }
  // Temporarily expose input value. Use with caution.
  public get endpointInput() {
    return this._endpoint;
  }

  // alias - computed: false, optional: true, required: false
  private _alias?: string; 
  public get alias() {
    return this._alias;
  }
  public set alias(value: string | undefined) {
    this._alias = value;
  }
  public resetAlias() {
    this._alias = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get aliasInput() {
    return this._alias;
  }

  // =========
  // SYNTHESIS
  // =========

  protected synthesizeAttributes(): { [name: string]: any } {
    return {
      ca: cdktf.stringToTerraform(this._ca),
      client_cert: cdktf.stringToTerraform(this._clientCert),
      client_key: cdktf.stringToTerraform(this._clientKey),
      endpoint: cdktf.stringToTerraform(this._endpoint),
      alias: cdktf.stringToTerraform(this._alias),
    };
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      ca: {
        value: cdktf.stringToHclTerraform(this._ca),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      client_cert: {
        value: cdktf.stringToHclTerraform(this._clientCert),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      client_key: {
        value: cdktf.stringToHclTerraform(this._clientKey),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      endpoint: {
        value: cdktf.stringToHclTerraform(this._endpoint),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      alias: {
        value: cdktf.stringToHclTerraform(this._alias),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
