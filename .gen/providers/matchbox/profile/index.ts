// https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface ProfileConfig extends cdktf.TerraformMetaArguments {
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#args Profile#args}
  */
  readonly args?: string[];
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#container_linux_config Profile#container_linux_config}
  */
  readonly containerLinuxConfig?: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#generic_config Profile#generic_config}
  */
  readonly genericConfig?: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#id Profile#id}
  *
  * Please be aware that the id field is automatically added to all resources in Terraform providers using a Terraform provider SDK version below 2.
  * If you experience problems setting this value it might not be settable. Please take a look at the provider documentation to ensure it should be settable.
  */
  readonly id?: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#initrd Profile#initrd}
  */
  readonly initrd?: string[];
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#kernel Profile#kernel}
  */
  readonly kernel?: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#name Profile#name}
  */
  readonly name: string;
  /**
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#raw_ignition Profile#raw_ignition}
  */
  readonly rawIgnition?: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile matchbox_profile}
*/
export class Profile extends cdktf.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "matchbox_profile";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a Profile resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the Profile to import
  * @param importFromId The id of the existing Profile that should be imported. Refer to the {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the Profile to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "matchbox_profile", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/poseidon/matchbox/0.5.4/docs/resources/profile matchbox_profile} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options ProfileConfig
  */
  public constructor(scope: Construct, id: string, config: ProfileConfig) {
    super(scope, id, {
      terraformResourceType: 'matchbox_profile',
      terraformGeneratorMetadata: {
        providerName: 'matchbox',
        providerVersion: '0.5.4',
        providerVersionConstraint: '~> 0.5'
      },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach
    });
    this._args = config.args;
    this._containerLinuxConfig = config.containerLinuxConfig;
    this._genericConfig = config.genericConfig;
    this._id = config.id;
    this._initrd = config.initrd;
    this._kernel = config.kernel;
    this._name = config.name;
    this._rawIgnition = config.rawIgnition;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // args - computed: false, optional: true, required: false
  private _args?: string[]; 
  public get args() {
    return this.getListAttribute('args');
  }
  public set args(value: string[]) {
    this._args = value;
  }
  public resetArgs() {
    this._args = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get argsInput() {
    return this._args;
  }

  // container_linux_config - computed: false, optional: true, required: false
  private _containerLinuxConfig?: string; 
  public get containerLinuxConfig() {
    return this.getStringAttribute('container_linux_config');
  }
  public set containerLinuxConfig(value: string) {
    this._containerLinuxConfig = value;
  }
  public resetContainerLinuxConfig() {
    this._containerLinuxConfig = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get containerLinuxConfigInput() {
    return this._containerLinuxConfig;
  }

  // generic_config - computed: false, optional: true, required: false
  private _genericConfig?: string; 
  public get genericConfig() {
    return this.getStringAttribute('generic_config');
  }
  public set genericConfig(value: string) {
    this._genericConfig = value;
  }
  public resetGenericConfig() {
    this._genericConfig = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get genericConfigInput() {
    return this._genericConfig;
  }

  // id - computed: true, optional: true, required: false
  private _id?: string; 
  public get id() {
    return this.getStringAttribute('id');
  }
  public set id(value: string) {
    this._id = value;
  }
  public resetId() {
    this._id = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get idInput() {
    return this._id;
  }

  // initrd - computed: false, optional: true, required: false
  private _initrd?: string[]; 
  public get initrd() {
    return this.getListAttribute('initrd');
  }
  public set initrd(value: string[]) {
    this._initrd = value;
  }
  public resetInitrd() {
    this._initrd = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get initrdInput() {
    return this._initrd;
  }

  // kernel - computed: false, optional: true, required: false
  private _kernel?: string; 
  public get kernel() {
    return this.getStringAttribute('kernel');
  }
  public set kernel(value: string) {
    this._kernel = value;
  }
  public resetKernel() {
    this._kernel = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get kernelInput() {
    return this._kernel;
  }

  // name - computed: false, optional: false, required: true
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }
  public set name(value: string) {
    this._name = value;
  }
  // Temporarily expose input value. Use with caution.
  public get nameInput() {
    return this._name;
  }

  // raw_ignition - computed: false, optional: true, required: false
  private _rawIgnition?: string; 
  public get rawIgnition() {
    return this.getStringAttribute('raw_ignition');
  }
  public set rawIgnition(value: string) {
    this._rawIgnition = value;
  }
  public resetRawIgnition() {
    this._rawIgnition = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get rawIgnitionInput() {
    return this._rawIgnition;
  }

  // =========
  // SYNTHESIS
  // =========

  protected synthesizeAttributes(): { [name: string]: any } {
    return {
      args: cdktf.listMapper(cdktf.stringToTerraform, false)(this._args),
      container_linux_config: cdktf.stringToTerraform(this._containerLinuxConfig),
      generic_config: cdktf.stringToTerraform(this._genericConfig),
      id: cdktf.stringToTerraform(this._id),
      initrd: cdktf.listMapper(cdktf.stringToTerraform, false)(this._initrd),
      kernel: cdktf.stringToTerraform(this._kernel),
      name: cdktf.stringToTerraform(this._name),
      raw_ignition: cdktf.stringToTerraform(this._rawIgnition),
    };
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      args: {
        value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(this._args),
        isBlock: false,
        type: "list",
        storageClassType: "stringList",
      },
      container_linux_config: {
        value: cdktf.stringToHclTerraform(this._containerLinuxConfig),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      generic_config: {
        value: cdktf.stringToHclTerraform(this._genericConfig),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      id: {
        value: cdktf.stringToHclTerraform(this._id),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      initrd: {
        value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(this._initrd),
        isBlock: false,
        type: "list",
        storageClassType: "stringList",
      },
      kernel: {
        value: cdktf.stringToHclTerraform(this._kernel),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      name: {
        value: cdktf.stringToHclTerraform(this._name),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      raw_ignition: {
        value: cdktf.stringToHclTerraform(this._rawIgnition),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
